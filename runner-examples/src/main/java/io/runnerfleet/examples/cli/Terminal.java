package io.runnerfleet.examples.cli;

import java.io.Console;
import java.io.PrintWriter;

/**
 * Where the command line tool talks to a person: output, and questions only when there is a terminal.
 *
 * <pre>{@code
 * Terminal t = Terminal.system();
 * if (t.interactive() && t.confirm("Remove 3 runners?")) { ... }
 * }</pre>
 *
 * <p>Sharp edge: without a terminal ({@code System.console()} is null) nothing is ever asked; callers
 * must refuse or fail with a message naming what to pass instead.
 */
interface Terminal {
    /** Whether a person can answer questions. */
    boolean interactive();

    /** One line typed by the person, or null at end of input. */
    String readLine(String prompt);

    /** A secret typed without echo, or null at end of input. */
    char[] readSecret(String prompt);

    /** Normal output. */
    PrintWriter out();

    /** Errors and progress. */
    PrintWriter err();

    /** Asks a yes/no question; anything but y/yes is no. */
    default boolean confirm(String question) {
        String answer = readLine(question + " [y/N] ");
        return answer != null && (answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"));
    }

    /** The process's terminal, interactive only when {@code System.console()} exists. */
    static Terminal system() {
        Console console = System.console();
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        return new Terminal() {
            @Override
            public boolean interactive() {
                return console != null;
            }

            @Override
            public String readLine(String prompt) {
                return console == null ? null : console.readLine("%s", prompt);
            }

            @Override
            public char[] readSecret(String prompt) {
                return console == null ? null : console.readPassword("%s", prompt);
            }

            @Override
            public PrintWriter out() {
                return out;
            }

            @Override
            public PrintWriter err() {
                return err;
            }
        };
    }
}
