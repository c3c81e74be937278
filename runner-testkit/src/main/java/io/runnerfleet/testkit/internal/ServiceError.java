package io.runnerfleet.testkit.internal;

/**
 * A refusal of the fake Actions service ({@link ScaleSets}, {@link ActionsService}): status plus the
 * {@code typeName} and message of its exception body, and the refusals the service makes most.
 */
final class ServiceError extends RuntimeException {
    private static final String RUNTIME = "GitHub.Actions.Runtime.WebApi.";
    private static final String TASK = "GitHub.DistributedTask.WebApi.";
    private static final long serialVersionUID = 1L;
    final int status;
    final String typeName;

    ServiceError(int status, String typeName, String message) {
        super(message, null, false, false);
        this.status = status;
        this.typeName = typeName;
    }

    static String runtimeType(String simpleName) {
        return RUNTIME + simpleName + ", GitHub.Actions.Runtime.WebApi";
    }

    static String taskType(String simpleName) {
        return TASK + simpleName + ", GitHub.DistributedTask.WebApi";
    }

    static ServiceError badRequest(String message) {
        return new ServiceError(400, "System.ArgumentException, mscorlib", message);
    }

    static ServiceError unauthorized(String message) {
        return new ServiceError(401, "GitHub.Services.Common.VssUnauthorizedException, GitHub.Services.Common", message);
    }

    static ServiceError setNotFound(long id) {
        return new ServiceError(404, runtimeType("RunnerScaleSetNotFoundException"),
                "No runner scale set with id " + id + " exists: it was deleted, or never created. Create it again.");
    }

    static ServiceError sessionNotFound(String id) {
        return new ServiceError(404, runtimeType("RunnerScaleSetSessionNotFoundException"),
                "The message session " + id + " does not exist (it was deleted or evicted): create a new session.");
    }
}
