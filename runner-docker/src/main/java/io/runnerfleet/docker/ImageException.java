package io.runnerfleet.docker;

import io.runnerfleet.RunnerFleetException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An image could not be made ready: a Dockerfile build failed, or an image could not be pulled or
 * is missing from the engine. For a failed build the message (and {@link #step()},
 * {@link #instruction()}, {@link #lastLines()}) name the failing step and its last output lines.
 *
 * <pre>{@code
 * try {
 *     backend.prepare(RunnerImage.dockerfile(dir).tag("my-runner:1"), p -> {});
 * } catch (ImageException e) {
 *     System.err.println("step " + e.step() + " failed: " + e.instruction());
 *     e.lastLines().forEach(System.err::println);
 * }
 * }</pre>
 *
 * <p>A failed build is never recorded as done: the next {@code prepare} builds again.
 */
public class ImageException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final String image;
    private final int step;
    private final String instruction;
    private final transient List<String> lastLines;

    /** An image problem that is not tied to a build step (a pull, a missing image). */
    public ImageException(String image, String message, @Nullable Throwable cause) {
        this(image, 0, "", List.of(), message, cause);
    }

    /** A failed build step. */
    public ImageException(String image, int step, @Nullable String instruction, List<String> lastLines, String message,
                          @Nullable Throwable cause) {
        super(message, cause);
        this.image = image;
        this.step = step;
        this.instruction = instruction == null ? "" : instruction;
        this.lastLines = List.copyOf(lastLines);
    }

    /** The image reference (the tag of a build). */
    public String image() {
        return image;
    }

    /** The failing build step (from 1), or 0 when not a build step failure. */
    public int step() {
        return step;
    }

    /** The failing step's instruction, or empty. */
    public String instruction() {
        return instruction;
    }

    /** The last output lines before the failure, oldest first (at most 20). */
    public List<String> lastLines() {
        return lastLines == null ? List.of() : lastLines;
    }
}
