package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Evaluates {@code src/main/jshell/quickstart.jsh} snippet by snippet with the JDK's JShell API. */
@ExtendWith(DockerEngine.class)
class QuickstartJShellIT {
    @Test
    void everySnippetOfTheQuickstartEvaluatesWithoutRejectionOrException() throws Exception {
        DockerEngine.busyboxImage();
        String script = Files.readString(Path.of("src/main/jshell/quickstart.jsh"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> failures = new ArrayList<>();
        try (JShell shell = JShell.builder().out(new PrintStream(out, true, StandardCharsets.UTF_8))
                .err(new PrintStream(out, true, StandardCharsets.UTF_8)).build()) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                shell.addToClasspath(entry);
            }
            SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
            // Like the jshell tool: lines are added to a snippet until it is complete.
            StringBuilder pending = new StringBuilder();
            for (String line : script.split("\n", -1)) {
                pending.append(line).append('\n');
                SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(pending.toString());
                if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                    pending.setLength(0);
                    continue;
                }
                if (!info.completeness().isComplete()) {
                    continue;
                }
                String source = info.source();
                pending.setLength(0);
                for (SnippetEvent e : shell.eval(source)) {
                    if (e.status() == Snippet.Status.REJECTED) {
                        failures.add("rejected: " + source.strip() + " " + shell.diagnostics(e.snippet()).map(d -> d.getMessage(null)).toList());
                    }
                    if (e.exception() != null) {
                        failures.add("threw " + e.exception() + ": " + source.strip());
                    }
                }
                if (!failures.isEmpty()) {
                    break;
                }
            }
            assertThat(pending.toString()).as("an unfinished snippet at the end").isBlank();
        }
        String output = out.toString(StandardCharsets.UTF_8);
        assertThat(failures).as(output).isEmpty();
        assertThat(output).contains("Idle").contains("riscv-board");
        Matcher m = Pattern.compile("(quickstart\\d+)-").matcher(output);
        assertThat(m.find()).as(output).isTrue();
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, m.group(1));
    }
}
