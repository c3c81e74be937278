package io.runnerfleet.spi;

/**
 * One step of making an image ready, streamed while it happens so a long build is visibly moving.
 *
 * @param step the current step, from 1, or 0 when unknown
 * @param totalSteps the number of steps, or 0 when unknown
 * @param instruction the current instruction (e.g. {@code RUN apt-get install ...}), or empty
 * @param line one line of output, or empty
 */
public record BuildProgress(int step, int totalSteps, String instruction, String line) {
    /** Replaces nulls with empty strings. */
    public BuildProgress {
        instruction = instruction == null ? "" : instruction;
        line = line == null ? "" : line;
    }
}
