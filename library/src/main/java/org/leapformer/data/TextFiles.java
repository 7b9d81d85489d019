package org.leapformer.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whole text files read strictly: a missing file or invalid UTF-8 names the file and the line. */
public final class TextFiles {

    private TextFiles() {}

    /**
     * The file's text, decoded as UTF-8.
     *
     * @throws DataFileException when the file is missing, or a byte is not valid UTF-8 (naming the
     *     line, the byte and its position in the line)
     */
    public static String readUtf8(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new DataFileException(file, 0, "a readable text file", Files.exists(file) ? "a directory"
                    : "no file there");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            long line = 1;
            int lineStart = 0;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new DataFileException(file, line, "text in UTF-8 (convert it, e.g. iconv -f LATIN1 -t UTF-8)",
                    String.format("the invalid byte 0x%02X at byte %d of the line", bytes[at] & 0xFF,
                            at - lineStart + 1));
        }
        out.flip();
        return out.toString();
    }
}
