package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval --lengths}: a trained language model at multiples of its training window, as a user runs it. */
class ExtrapolationCommandTest {

    @Test
    void aTinyCosformerRunIsEvaluatedAtOneFourAndSixteenTimesItsWindow(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat. ".repeat(200)); // 4800 characters, test: the last 480
        Path out = dir.resolve("lm");
        Cli.Result r = Cli.run("train", "--task", "lm", "--data", text.toString(), "--length", "16", "--steps", "4",
                "--attention", "cosformer", "--layers", "1", "--d-model", "16", "--heads", "2", "--head-dim", "8",
                "--ffn", "32", "--batch", "8", "--eval-every", "2", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String ckpt = out.resolve("checkpoints/best.ckpt").toString();

        Cli.Result e = Cli.run("eval", "--checkpoint", ckpt, "--lengths", "1,4,16");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("on the test text, 480 tokens; training window T = 16"), e.out());
        assertTrue(e.out().contains("cosformer (length unknown: N = 16)") && e.out().contains("cosformer (length "
                + "known: N = L)"), e.out());
        Path json = out.resolve("extrapolation.json");
        JsonObject o = JsonParser.parseString(Files.readString(json, StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("test", o.get("split").getAsString());
        JsonObject x = o.getAsJsonObject("extrapolation");
        assertEquals(16, x.get("trainingLength").getAsInt());
        assertEquals(6, x.getAsJsonArray("results").size(), "two cosFormer lengths x three multiples");
        JsonObject sixteen = x.getAsJsonArray("results").get(2).getAsJsonObject();
        assertEquals(16, sixteen.get("multiple").getAsInt());
        assertEquals(256, sixteen.get("length").getAsInt());
        assertEquals(1, sixteen.get("windows").getAsInt(), "479 predictions hold one window of 256");
        assertEquals(16, sixteen.getAsJsonArray("buckets").size());
        assertTrue(Double.isFinite(sixteen.get("loss").getAsDouble()));
        // at 1x the numbers are eval's test loss
        Cli.Result plain = Cli.run("eval", "--checkpoint", ckpt, "--split", "test");
        assertEquals(0, plain.code(), plain.err());
        double loss = JsonParser.parseString(plain.out()).getAsJsonObject().get("loss").getAsDouble();
        assertEquals(loss, x.getAsJsonArray("results").get(0).getAsJsonObject().get("loss").getAsDouble(), 1e-5);

        Cli.Result tooLong = Cli.run("eval", "--checkpoint", ckpt, "--lengths", "1,32");
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().contains("extrapolation at 32x the training length T = 16 (L = 512 tokens): expected "
                + "at least L + 1 = 513 held-out tokens for one window, found 480"), tooLong.err());
        Cli.Result bad = Cli.run("eval", "--checkpoint", ckpt, "--lengths", "1,x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("eval --lengths: expected positive multiples"), bad.err());
    }
}
