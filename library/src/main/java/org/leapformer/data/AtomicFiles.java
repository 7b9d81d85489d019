package org.leapformer.data;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a UTF-8 text file atomically: into a temporary file beside it ({@code .NAME<digits>.tmp}),
 * then moved over it. A process killed during a write leaves its temporary file behind; the next
 * write of the same file removes it (one writer per file is assumed, as for a run folder).
 *
 * <p>The file ends up with the permissions a plain {@code Files.newOutputStream} would give it: a
 * new file those of any new file in its folder under the process umask (the temporary file is
 * created as a plain file, not with {@code Files.createTempFile}'s owner-only 0600), a replaced
 * file its former POSIX permissions.
 */
public final class AtomicFiles {

    /** The body of a write. */
    public interface Body {
        void write(Writer out) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Deletes the temporary files that interrupted atomic writes of {@code target} left in its
     * folder: {@code .NAME<digits>.tmp}, as {@code Files.createTempFile(dir, ".NAME", ".tmp")} names
     * them.
     *
     * @return how many were deleted
     */
    public static int removeStaleTemporaries(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        String prefix = "." + absolute.getFileName();
        int removed = 0;
        try (var files = Files.newDirectoryStream(dir, prefix + "*.tmp")) {
            for (Path f : files) {
                String middle = f.getFileName().toString();
                middle = middle.substring(prefix.length(), middle.length() - ".tmp".length());
                if (!middle.isEmpty() && middle.chars().allMatch(Character::isDigit) && Files.deleteIfExists(f)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    public static void write(Path file, Body body) {
        writeWith(file, tmp -> {
            try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                body.write(out);
            }
        });
    }

    /** Writes {@code bytes} to {@code file} the same way: whole or not at all. */
    public static void writeBytes(Path file, byte[] bytes) {
        writeWith(file, tmp -> Files.write(tmp, bytes));
    }

    private interface Filler {
        void fill(Path tmp) throws IOException;
    }

    /**
     * A new empty temporary file for an atomic write of {@code target}: {@code .NAME<digits>.tmp}
     * beside it, named as {@code Files.createTempFile} names them (so {@link #removeStaleTemporaries}
     * finds it) but created with the permissions of any new file there (0666 less the umask, and
     * the folder's default ACL if any) instead of owner-only 0600. The folder must exist.
     */
    public static Path newTemporary(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        String prefix = "." + absolute.getFileName();
        while (true) {
            long n = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
            try {
                return Files.createFile(dir.resolve(prefix + n + ".tmp"));
            } catch (FileAlreadyExistsException e) {
                // another name
            }
        }
    }

    /**
     * Gives a filled temporary file the POSIX permissions of the {@code target} it is about to
     * replace, as a rewrite in place would keep them; nothing when there is no target yet or the
     * file system is not POSIX.
     */
    public static void keepPermissions(Path target, Path tmp) throws IOException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(target);
        } catch (UnsupportedOperationException | NoSuchFileException e) {
            return; // not a POSIX file system, or a new file: the defaults stand
        }
        Files.setPosixFilePermissions(tmp, permissions);
    }

    private static void writeWith(Path file, Filler filler) {
        if (file == null) {
            throw new IllegalArgumentException("file: expected a path, found null");
        }
        Path absolute = file.toAbsolutePath();
        Path dir = absolute.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            removeStaleTemporaries(absolute);
            tmp = newTemporary(absolute);
            filler.fill(tmp);
            keepPermissions(absolute, tmp);
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; its exception is the one to report
                }
            }
        }
    }
}
