package org.leapformer.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Locates the corpus shipped in the repository's {@code data/} folder: <i>Pride and
 * Prejudice</i> (public domain; see {@code data/README.md} for its source and licence), about
 * 680 KB of text for language modelling on a CPU.
 *
 * <p>Searched, in order: the directory named by the system property {@value #DIRECTORY_PROPERTY},
 * then by the environment variable {@value #DIRECTORY_VARIABLE}, then {@code data/} in the
 * working directory and each of its parents (so notebooks, whose working directory is
 * {@code notebooks/}, find it too). Outside a checkout the copy inside the library's jar is used:
 * it is written once to {@code java.io.tmpdir/leapformer-data/} (atomically) and read from there.
 */
public final class Corpora {

    /** File name of the shipped corpus. */
    public static final String SHIPPED_FILE = "pride-and-prejudice.txt";
    /** System property naming the data directory. */
    public static final String DIRECTORY_PROPERTY = "leap.data";
    /** Environment variable naming the data directory. */
    public static final String DIRECTORY_VARIABLE = "LEAP_DATA";

    private Corpora() {}

    /**
     * The path of the shipped corpus.
     *
     * @throws IllegalStateException naming every place searched when it is in none
     */
    public static Path shipped() {
        try {
            return locate(SHIPPED_FILE, System.getProperty(DIRECTORY_PROPERTY), System.getenv(DIRECTORY_VARIABLE),
                    Paths.get("").toAbsolutePath());
        } catch (IllegalStateException notInACheckout) {
            Path extracted = fromResource(SHIPPED_FILE, Paths.get(System.getProperty("java.io.tmpdir"), "leapformer-data"));
            if (extracted == null) {
                throw notInACheckout;
            }
            return extracted;
        }
    }

    /**
     * The library's copy of a shipped file, written to {@code dir} unless a copy of the same size is
     * already there; null when the jar has no such resource.
     */
    static Path fromResource(String name, Path dir) {
        String resource = "/org/leapformer/data/" + name;
        try (java.io.InputStream in = Corpora.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            byte[] bytes = in.readAllBytes();
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file) && Files.size(file) == bytes.length) {
                return file;
            }
            Files.createDirectories(dir);
            Path tmp = AtomicFiles.newTemporary(file); // readable as the umask allows
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write the shipped " + name + " to " + dir, e);
        }
    }

    /** The shipped corpus as text, checked like every reader here (UTF-8, final newline, no NUL). */
    public static String shippedText() {
        Path file = shipped();
        StringBuilder sb = new StringBuilder();
        try (Lines lines = Lines.open(file)) {
            String line;
            while ((line = lines.next()) != null) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    static Path locate(String name, String property, String variable, Path workingDir) {
        List<String> searched = new ArrayList<>();
        for (String dir : new String[] {property, variable}) {
            if (dir != null && !dir.isBlank()) {
                Path candidate = Paths.get(dir).resolve(name);
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
                searched.add(candidate.toString());
            }
        }
        for (Path dir = workingDir; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("data").resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            searched.add(candidate.toString());
        }
        throw new IllegalStateException("shipped corpus: expected " + name + " in one of " + searched
                + ", found it in none (nor in the library's jar); set -D" + DIRECTORY_PROPERTY + "=DIR or "
                + DIRECTORY_VARIABLE + "=DIR to the repository's data/ folder");
    }
}
