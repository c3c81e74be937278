package io.runnerfleet.docker;

import io.runnerfleet.RunnerFleetException;
import org.jspecify.annotations.Nullable;

/**
 * The Docker engine answered but refused an operation (for example it could not start a container
 * because the host forbids a capability). The message names the operation, the engine and the
 * engine's own reason; {@link #statusCode()} is the engine's HTTP status.
 *
 * <pre>{@code
 * try {
 *     backend.launch(spec);
 * } catch (DockerEngineException e) {
 *     log.error("engine refused: {}", e.getMessage());
 * }
 * }</pre>
 */
public class DockerEngineException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final int statusCode;
    private final String engineMessage;

    /** Creates the exception; {@code engineMessage} is the engine's reason. */
    public DockerEngineException(String message, int statusCode, @Nullable String engineMessage,
                                 @Nullable Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
        this.engineMessage = engineMessage == null ? "" : engineMessage;
    }

    /** The engine's HTTP status, or 0 when unknown. */
    public int statusCode() {
        return statusCode;
    }

    /** The engine's own reason, as it said it. */
    public String engineMessage() {
        return engineMessage;
    }
}
