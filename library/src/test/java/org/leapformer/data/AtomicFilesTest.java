package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.TestSupport;

/** Atomic writes leave files as readable as the umask allows, as a plain write would. */
class AtomicFilesTest {

    private static void requirePosix() {
        TestSupport.skipUnless(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
                "POSIX file permissions");
    }

    @Test
    void aNewFileGetsThePermissionsOfAPlainWrite(@TempDir Path dir) throws IOException {
        requirePosix();
        Path plain = dir.resolve("plain.txt");
        Files.writeString(plain, "x");
        Path text = dir.resolve("text.txt");
        AtomicFiles.write(text, out -> out.write("y"));
        Path bytes = dir.resolve("sub").resolve("bytes.bin");
        AtomicFiles.writeBytes(bytes, new byte[] {1, 2});
        Path plainInSub = dir.resolve("sub").resolve("plain.bin");
        Files.write(plainInSub, new byte[] {3});
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(text));
        assertEquals(Files.getPosixFilePermissions(plainInSub), Files.getPosixFilePermissions(bytes));
        assertEquals("y", Files.readString(text, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(bytes));
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary left");
        }
    }

    @Test
    void aReplacedFileKeepsItsPermissions(@TempDir Path dir) throws IOException {
        requirePosix();
        Path file = dir.resolve("kept.txt");
        AtomicFiles.write(file, out -> out.write("one"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.write(file, out -> out.write("two"));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("two", Files.readString(file));
    }

    @Test
    void staleTemporariesOfTheNewNamingAreStillRemoved(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f.json");
        Files.writeString(dir.resolve(".f.json1234.tmp"), "left by a killed write");
        AtomicFiles.write(file, out -> out.write("{}"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }
}
