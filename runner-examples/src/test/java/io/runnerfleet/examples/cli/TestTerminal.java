package io.runnerfleet.examples.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** A terminal for tests: scripted answers, captured output. */
final class TestTerminal implements Terminal {
    private final boolean interactive;
    private final Deque<String> answers;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    private final PrintWriter outWriter = new PrintWriter(out, true);
    private final PrintWriter errWriter = new PrintWriter(err, true);

    TestTerminal(boolean interactive, String... answers) {
        this.interactive = interactive;
        this.answers = new ArrayDeque<>(List.of(answers));
    }

    static TestTerminal none() {
        return new TestTerminal(false);
    }

    @Override
    public boolean interactive() {
        return interactive;
    }

    @Override
    public String readLine(String prompt) {
        errWriter.print(prompt);
        return answers.poll();
    }

    @Override
    public char[] readSecret(String prompt) {
        errWriter.print(prompt);
        String a = answers.poll();
        return a == null ? null : a.toCharArray();
    }

    @Override
    public PrintWriter out() {
        return outWriter;
    }

    @Override
    public PrintWriter err() {
        return errWriter;
    }

    String all() {
        return out + "\n" + err;
    }
}
