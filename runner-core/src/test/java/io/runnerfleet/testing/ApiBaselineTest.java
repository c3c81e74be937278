package io.runnerfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiBaselineTest {
    /** runner-core's own compiled classes: surefire runs in the module's directory. */
    private static final Path CORE_CLASSES = Path.of("target", "classes");
    private static final ClassLoader LOADER = ApiBaselineTest.class.getClassLoader();

    @TempDir
    Path dir;

    /** Fixture: a class with each kind of member, accessible or not. */
    public static class Widget<T extends Comparable<T>> implements Runnable, AutoCloseable {
        public static final int LIMIT = 3;
        protected String label = "";
        int packagePrivate;

        protected Widget(String... names) throws IOException {
        }

        Widget(int hidden) {
        }

        public <R> List<R> map(Function<? super T, R> mapper) {
            return List.of();
        }

        @Override
        public void run() {
        }

        @Override
        public final void close() {
        }

        void packagePrivate() {
        }

        @Override
        public String toString() {
            return "Widget";
        }

        /** Fixture: a nested type that is API. */
        public interface Listener {
            void changed(Widget<?> widget);

            default boolean quiet() {
                return true;
            }
        }

        private static final class Hidden {
        }
    }

    /** Fixture: sealed interface of records and an enum. */
    public sealed interface Shape permits Circle, Square {
    }

    /** Fixture. */
    public record Circle(double radius) implements Shape {
    }

    /** Fixture. */
    public record Square(double side) implements Shape {
        @Override
        public String toString() {
            return "Square";
        }
    }

    /** Fixture: an enum whose constant has a body (so it is not final). */
    public enum Mode {
        FAST {
            @Override
            int weight() {
                return 1;
            }
        },
        SLOW;

        int weight() {
            return 2;
        }
    }

    @Test
    void rendersPublicAndProtectedSignaturesOneLineEachGroupedByType() {
        String widget = Widget.class.getName() + ": ";
        String listener = Widget.Listener.class.getName() + ": ";

        assertThat(ApiBaseline.signatures(List.of(Widget.class))).containsExactly(
                widget + "public static class<T extends java.lang.Comparable<T>> implements java.lang.AutoCloseable,"
                        + " java.lang.Runnable",
                widget + "protected Widget(java.lang.String...) throws java.io.IOException",
                widget + "protected java.lang.String label",
                widget + "public <R> java.util.List<R> map(java.util.function.Function<? super T, R>)",
                widget + "public final void close()",
                widget + "public static final int LIMIT",
                widget + "public void run()",
                listener + "public static interface",
                listener + "public abstract void changed(" + Widget.class.getName() + "<?>)",
                listener + "public default boolean quiet()");
    }

    @Test
    void rendersSealedInterfacesRecordsAndEnumsWithoutObjectMethodsOrImpliedEnumModifiers() {
        String shape = Shape.class.getName();
        String circle = Circle.class.getName();
        String square = Square.class.getName();
        String mode = Mode.class.getName();

        assertThat(ApiBaseline.signatures(List.of(Shape.class, Circle.class, Square.class, Mode.class)))
                .containsExactly(
                        circle + ": public static final record implements " + shape,
                        circle + ": public Circle(double)",
                        circle + ": public double radius()",
                        mode + ": public static enum",
                        mode + ": public static final " + mode + " FAST",
                        mode + ": public static final " + mode + " SLOW",
                        mode + ": public static " + mode + " valueOf(java.lang.String)",
                        mode + ": public static " + mode + "[] values()",
                        shape + ": public static sealed interface permits " + circle + ", " + square,
                        square + ": public static final record implements " + shape,
                        square + ": public Square(double)",
                        square + ": public double side()");
    }

    @Test
    void coversExactlyTheExportedPackagesOfTheCompiledModule() {
        assertThat(ApiBaseline.exportedPackages(CORE_CLASSES)).containsExactly("io.runnerfleet", "io.runnerfleet.spi");

        List<String> lines = ApiBaseline.signatures(CORE_CLASSES, LOADER);

        assertThat(lines).contains("io.runnerfleet.RunnerFleet: public final class implements java.lang.AutoCloseable")
                .anyMatch(line -> line.startsWith("io.runnerfleet.spi.RunnerBackend: "))
                .noneMatch(line -> line.startsWith("io.runnerfleet.internal."))
                .noneMatch(line -> line.contains(" private ") || line.startsWith("io.runnerfleet.TransitionTable:"));
    }

    @Test
    void updateWritesTheBaselineWhichThenChecksAndUpdatingAgainChangesNothing() throws IOException {
        Path baseline = dir.resolve("api").resolve("runner-core.api");

        assertThat(ApiBaseline.update(CORE_CLASSES, baseline, "runner-core", LOADER)).contains("wrote");
        String written = Files.readString(baseline, StandardCharsets.UTF_8);

        assertThat(written).startsWith("# Public API of runner-core (exported packages: io.runnerfleet,"
                + " io.runnerfleet.spi)").contains("-Dapi.update=true -pl runner-core -am");
        assertThat(ApiBaseline.check(CORE_CLASSES, baseline, "runner-core", LOADER)).contains("matches");
        assertThat(ApiBaseline.update(CORE_CLASSES, baseline, "runner-core", LOADER)).contains("up to date");
        assertThat(Files.readString(baseline, StandardCharsets.UTF_8)).isEqualTo(written);
    }

    @Test
    void checkFailsNamingEveryAddedAndRemovedSignatureAndHowToAcceptThem() throws IOException {
        Path baseline = dir.resolve("runner-core.api");
        List<String> lines = new ArrayList<>(ApiBaseline.signatures(CORE_CLASSES, LOADER));
        String dropped = lines.remove(lines.size() / 2);
        lines.add("io.runnerfleet.Gone: public static void vanished()");
        Files.write(baseline, lines, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ApiBaseline.check(CORE_CLASSES, baseline, "runner-core", LOADER))
                .isInstanceOf(ApiBaseline.ApiChangedException.class)
                .hasMessageContaining("The public API of runner-core differs from its baseline " + baseline
                        + ": 1 added, 1 removed")
                .hasMessageContaining("  + " + dropped + "\n")
                .hasMessageContaining("  - io.runnerfleet.Gone: public static void vanished()\n")
                .hasMessageContaining("./mvnw -B -q verify -DskipTests -Dapi.update=true -pl runner-core -am")
                .hasMessageContaining("commit " + baseline);
    }

    @Test
    void checkWithoutABaselineFailsSayingHowToCreateIt() {
        Path baseline = dir.resolve("missing.api");

        assertThatThrownBy(() -> ApiBaseline.check(CORE_CLASSES, baseline, "runner-core", LOADER))
                .isInstanceOf(ApiBaseline.ApiChangedException.class)
                .hasMessageContaining("has no baseline: " + baseline + " does not exist")
                .hasMessageContaining("-Dapi.update=true -pl runner-core -am");
    }

    @Test
    void commentAndBlankLinesInTheBaselineAreIgnored() throws IOException {
        Path baseline = dir.resolve("runner-core.api");
        List<String> lines = new ArrayList<>(List.of("# a comment", ""));
        lines.addAll(ApiBaseline.signatures(CORE_CLASSES, LOADER));
        Files.write(baseline, lines, StandardCharsets.UTF_8);

        assertThat(ApiBaseline.check(CORE_CLASSES, baseline, "runner-core", LOADER)).contains("matches");
    }
}
