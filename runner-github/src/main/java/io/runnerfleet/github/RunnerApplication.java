package io.runnerfleet.github;

import io.runnerfleet.Secret;
import java.util.Objects;
import java.util.Optional;

/**
 * A runner application package GitHub offers for download (one per OS and architecture).
 *
 * <pre>{@code
 * RunnerApplication linux = runners.downloads().stream()
 *     .filter(a -> a.os().equals("linux") && a.architecture().equals("x64")).findFirst().orElseThrow();
 * runners.download(linux, Path.of("actions-runner.tar.gz"));   // verifies the SHA-256
 * }</pre>
 *
 * @param os {@code linux}, {@code osx} or {@code win}
 * @param architecture {@code x64}, {@code arm64}, ...
 * @param downloadUrl where to fetch it
 * @param filename the archive's file name
 * @param sha256Checksum the archive's SHA-256 in hex, when GitHub gives one
 * @param tempDownloadToken a short-lived token for the download, when GitHub gives one (never printed)
 */
public record RunnerApplication(String os, String architecture, String downloadUrl, String filename,
                                Optional<String> sha256Checksum, Optional<Secret> tempDownloadToken) {
    /** Checks the parts are present. */
    public RunnerApplication {
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(downloadUrl, "downloadUrl");
        Objects.requireNonNull(filename, "filename");
        Objects.requireNonNull(sha256Checksum, "sha256Checksum");
        Objects.requireNonNull(tempDownloadToken, "tempDownloadToken");
    }
}
