package io.runnerfleet;

import java.util.Locale;
import java.util.Objects;

/**
 * The operating system and architecture a runner runs on, which decide its default labels.
 *
 * <pre>{@code
 * RunnerPlatform.LINUX_X64.defaultLabels();    // [self-hosted, Linux, X64]
 * RunnerPlatform.of(RunnerPlatform.Os.LINUX, RunnerPlatform.Architecture.ARM64);
 * }</pre>
 *
 * <p>A self-hosted runner registers with the labels {@code self-hosted}, its OS and its architecture
 * unless it is configured with {@code --no-default-labels}; these are the exact spellings the real
 * runner uses. A container runner's platform is the image's, which for the official runner image is
 * {@link #LINUX_X64}.
 *
 * @param os the operating system
 * @param architecture the CPU architecture
 */
public record RunnerPlatform(Os os, Architecture architecture) {
    /** Linux on x86-64, the platform of the official runner image. */
    public static final RunnerPlatform LINUX_X64 = new RunnerPlatform(Os.LINUX, Architecture.X64);

    /** The label every self-hosted runner carries by default. */
    public static final String SELF_HOSTED = "self-hosted";

    /** An operating system, with the label the runner gives it. */
    public enum Os {
        /** Linux. */
        LINUX("Linux"),
        /** Windows. */
        WINDOWS("Windows"),
        /** macOS. */
        MACOS("macOS");

        private final String label;

        Os(String label) {
            this.label = label;
        }

        /** The default label, e.g. {@code Linux}. */
        public String label() {
            return label;
        }
    }

    /** A CPU architecture, with the label the runner gives it. */
    public enum Architecture {
        /** 32-bit x86. */
        X86("X86"),
        /** x86-64. */
        X64("X64"),
        /** 32-bit ARM. */
        ARM("ARM"),
        /** 64-bit ARM. */
        ARM64("ARM64");

        private final String label;

        Architecture(String label) {
            this.label = label;
        }

        /** The default label, e.g. {@code X64}. */
        public String label() {
            return label;
        }
    }

    /** Checks both parts are present. */
    public RunnerPlatform {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
    }

    /** The platform of this OS and architecture. */
    public static RunnerPlatform of(Os os, Architecture architecture) {
        return new RunnerPlatform(os, architecture);
    }

    /**
     * The platform of this JVM (for runners started as host processes).
     *
     * @throws InvalidSpecException if the JVM reports an OS or architecture GitHub's runner does not support
     */
    public static RunnerPlatform current() {
        return parse(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /** The platform named by Java's {@code os.name} and {@code os.arch} values. */
    static RunnerPlatform parse(String osName, String osArch) {
        String name = osName.toLowerCase(Locale.ROOT);
        Os os = name.startsWith("linux") ? Os.LINUX
                : name.startsWith("windows") ? Os.WINDOWS
                : name.startsWith("mac") ? Os.MACOS : null;
        if (os == null) {
            throw new InvalidSpecException("operating system '" + osName
                    + "' has no GitHub Actions runner; supported: Linux, Windows, macOS");
        }
        Architecture arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x64" -> Architecture.X64;
            case "x86", "i386", "i486", "i586", "i686" -> Architecture.X86;
            case "aarch64", "arm64" -> Architecture.ARM64;
            case "arm", "aarch32", "armv7l" -> Architecture.ARM;
            default -> throw new InvalidSpecException("architecture '" + osArch
                    + "' has no GitHub Actions runner; supported: X86, X64, ARM, ARM64");
        };
        return new RunnerPlatform(os, arch);
    }

    /** The default labels: {@code self-hosted}, the OS and the architecture, e.g. {@code [self-hosted, Linux, X64]}. */
    public LabelSet defaultLabels() {
        return LabelSet.of(SELF_HOSTED, os.label(), architecture.label());
    }

    @Override
    public String toString() {
        return os.label() + "/" + architecture.label();
    }
}
