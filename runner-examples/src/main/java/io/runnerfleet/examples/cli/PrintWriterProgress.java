package io.runnerfleet.examples.cli;

/**
 * A one-line progress bar on the terminal's error stream, drawn only when a person watches.
 *
 * <pre>{@code
 * try (PrintWriterProgress bar = new PrintWriterProgress(terminal, "image")) {
 *     bar.update(3, 7);   // image [#########.............]  3/7
 * }
 * }</pre>
 *
 * <p>Without a terminal it prints nothing, so logs and pipes stay clean.
 */
final class PrintWriterProgress implements AutoCloseable {
    private static final int WIDTH = 30;
    private final Terminal terminal;
    private final String label;
    private boolean drawn;

    PrintWriterProgress(Terminal terminal, String label) {
        this.terminal = terminal;
        this.label = label;
    }

    /** The bar for {@code done} of {@code total}. */
    static String bar(String label, long done, long total) {
        long d = Math.max(0, Math.min(done, total));
        int filled = total <= 0 ? 0 : (int) (WIDTH * d / total);
        return label + " [" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + d + "/" + Math.max(total, 0);
    }

    synchronized void update(long done, long total) {
        if (!terminal.interactive()) {
            return;
        }
        terminal.err().print("\r" + bar(label, done, total));
        terminal.err().flush();
        drawn = true;
    }

    @Override
    public synchronized void close() {
        if (drawn) {
            terminal.err().println();
            terminal.err().flush();
        }
    }
}
