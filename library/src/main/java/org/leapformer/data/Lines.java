package org.leapformer.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Strict streaming reader of a UTF-8 text file, line by line. Every line must end with
 * {@code \n} (a trailing {@code \r} is dropped, so CRLF files read the same), hold no NUL byte
 * and be valid UTF-8; otherwise a {@link DataFileException} names the file, the line and the byte.
 */
final class Lines implements Closeable {

    private static final int CHUNK = 1 << 16;

    private final Path file;
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[CHUNK];
    private int chunkLength;
    private int chunkPosition;
    private byte[] line = new byte[256];
    private long lineNumber;

    private Lines(Path file, InputStream in) {
        this.file = file;
        this.in = in;
    }

    /**
     * Opens {@code file}.
     *
     * @throws DataFileException when it does not exist, is a directory or cannot be read
     */
    static Lines open(Path file) {
        requireRegularFile(file);
        try {
            return new Lines(file, Files.newInputStream(file));
        } catch (IOException e) {
            throw new DataFileException(file, 0, "a readable file", e.toString());
        }
    }

    /** Checks that {@code file} exists and is a regular, readable file. */
    static void requireRegularFile(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("file: expected a path, found null");
        }
        if (!Files.exists(file)) {
            throw new DataFileException(file, 0, "an existing file", "no file at that path");
        }
        if (!Files.isRegularFile(file)) {
            throw new DataFileException(file, 0, "a regular file", "a directory or special file");
        }
        if (!Files.isReadable(file)) {
            throw new DataFileException(file, 0, "a readable file", "no read permission");
        }
    }

    /** The number of the line last returned by {@link #next()} (1-based; 0 before the first). */
    long lineNumber() {
        return lineNumber;
    }

    /** The file being read. */
    Path file() {
        return file;
    }

    /**
     * The next line without its terminator, or null at the end of the file.
     *
     * @throws DataFileException when the line has no final newline, a NUL byte or invalid UTF-8
     */
    String next() {
        int length = 0;
        while (true) {
            if (chunkPosition == chunkLength && !fill()) {
                if (length == 0) {
                    return null;
                }
                lineNumber++;
                throw new DataFileException(file, lineNumber,
                        "a line ending in a newline (is the file truncated?)",
                        "the end of the file after " + length + " bytes of this line");
            }
            byte b = chunk[chunkPosition++];
            if (b == '\n') {
                lineNumber++;
                if (length > 0 && line[length - 1] == '\r') {
                    length--;
                }
                return decode(length);
            }
            if (b == 0) {
                lineNumber++;
                throw new DataFileException(file, lineNumber, "text without NUL bytes",
                        "a NUL byte at byte " + (length + 1) + " of the line");
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, line.length * 2);
            }
            line[length++] = b;
        }
    }

    private boolean fill() {
        try {
            chunkLength = in.read(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + " after line " + lineNumber, e);
        }
        chunkPosition = 0;
        if (chunkLength <= 0) {
            chunkLength = 0;
            return false;
        }
        return true;
    }

    private String decode(int length) {
        ByteBuffer bytes = ByteBuffer.wrap(line, 0, length);
        CharBuffer chars = CharBuffer.allocate(length);
        decoder.reset();
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            int at = bytes.position();
            throw new DataFileException(file, lineNumber, "valid UTF-8",
                    String.format("the invalid byte 0x%02X at byte %d of the line", line[at] & 0xFF, at + 1));
        }
        chars.flip();
        return chars.toString();
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + file, e);
        }
    }
}
