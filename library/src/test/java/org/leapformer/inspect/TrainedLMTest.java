package org.leapformer.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.cli.Main;
import org.leapformer.model.Sampling;

/** A checkpoint of the train command loads in one call, tokenizer included, ready to use. */
class TrainedLMTest {

    private static int cli(String... args) {
        return Main.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void aTrainedLanguageModelLoadsWithItsTokenizerAndTracesStepsAndGenerates(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat. ".repeat(200));
        Path run = dir.resolve("lm");
        assertEquals(0, cli("train", "--task", "lm", "--data", text.toString(), "--length", "16", "--steps", "30",
                "--layers", "1", "--d-model", "16", "--head-dim", "8", "--ffn", "32", "--batch", "8", "--quiet",
                "--out", run.toString()));
        Files.delete(run.resolve("vocabulary.txt")); // the checkpoint alone is enough
        try (NDManager m = LeapEngine.newManager()) {
            TrainedLM lm = TrainedLM.load(run.resolve("checkpoints/best.ckpt"), m);
            assertEquals("char", lm.tokenizer().kind());
            assertEquals("the cat", lm.decode(lm.encode("the cat")));
            String out = lm.generate("the ", 40, Sampling.greedyDecoding());
            assertTrue(out.startsWith("the ") && out.length() > 4, out);
            try (Trace t = lm.trace("the cat sat", m)) {
                assertEquals(11, t.length());
            }
            try (Stepper s = lm.stepper(m, true)) {
                s.feed(lm.encode("the mat"));
                assertEquals(7, s.length());
                assertEquals(7, s.last().layer(0).attentionRow(0, 1).length);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lm.trace("", m));
            assertTrue(e.getMessage().startsWith("text: expected characters or words the vocabulary knows"));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"generate", "--checkpoint", run.resolve("checkpoints/best.ckpt").toString(),
            "--prompt", "the", "--tokens", "5", "--greedy"}, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, code, "generate needs no vocabulary.txt beside the checkpoint");
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("the"));
    }

    @Test
    void aClassifierCheckpointIsNotALanguageModel(@TempDir Path dir) {
        Path run = dir.resolve("listops");
        assertEquals(0, cli("train", "--task", "listops", "--length", "16", "--train-examples", "16", "--val-examples",
                "8", "--steps", "1", "--layers", "1", "--d-model", "16", "--head-dim", "8", "--batch", "4", "--quiet",
                "--out", run.toString()));
        try (NDManager m = LeapEngine.newManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrainedLM.load(run.resolve("checkpoints/latest.ckpt"), m));
            assertTrue(e.getMessage().endsWith(": expected a language model, found a classifier"), e.getMessage());
        }
    }
}
