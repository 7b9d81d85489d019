package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.train.TrainingListener;
import org.leapformer.train.TrainingResult;

/**
 * The command line's mistakes as a new user makes them: every one ends in one {@code error:}
 * line naming what was expected and what was found, and exit code 2, never a stack trace.
 */
class CommandLineErrorsTest {

    @TempDir
    static Path shared;
    private static Path run;

    private static void refused(Cli.Result r, String... fragments) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("error: "), r.err());
        assertFalse(r.err().contains("\tat org.") || r.err().contains("Exception"), "no stack trace: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "'" + r.err() + "' should contain '" + f + "'");
        }
    }

    @BeforeAll
    static void trainATinyLanguageModel() throws IOException {
        Path text = shared.resolve("text.txt");
        Files.writeString(text, "the cat sat on the mat. ".repeat(100));
        run = shared.resolve("lm");
        Cli.Result r = Cli.run("train", "--task", "lm", "--data", text.toString(), "--length", "16", "--steps", "4",
                "--layers", "1", "--d-model", "16", "--head-dim", "8", "--ffn", "16", "--batch", "4", "--quiet",
                "--out", run.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void everyCommandPrintsItsOptionsWithHelp() {
        for (String command : List.of("train", "eval", "generate", "experiment", "check-vectors")) {
            for (String help : List.of("help", "--help", "-h")) {
                Cli.Result r = Cli.run(command, help);
                assertEquals(0, r.code(), command + " " + help + ": " + r.err());
                assertTrue(r.out().contains(command + " ") && r.out().contains("--"), command + " " + help + ": " + r.out());
            }
        }
        assertTrue(Cli.run("train", "help").out().contains("--resume continues from DIR/checkpoints/latest.ckpt"));
        assertEquals(0, Cli.run("help").code());
    }

    @Test
    void anUnknownCommandNamesTheKnownOnes() {
        Cli.Result r = Cli.run("trian");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("error: unknown command 'trian'; expected one of check-vectors, train, eval"), r.err());
    }

    @Test
    void aMisspelledCheckpointInAnExistingRunListsTheCheckpointsThere() {
        Path wrong = run.resolve("checkpoints/bset.ckpt");
        for (String command : List.of("eval", "generate")) {
            refused(Cli.run(command, "--checkpoint", wrong.toString()), command + " --checkpoint: expected a checkpoint file, "
                    + "found no file at " + wrong, "has best.ckpt, latest.ckpt");
        }
        refused(Cli.run("eval", "--checkpoint", run.resolve("checkpoints").toString()), "found a directory at");
    }

    @Test
    void aTruncatedCheckpointIsReportedAsDamagedNotAsAStackTrace(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("lm");
        Files.createDirectories(copy.resolve("checkpoints"));
        Files.copy(run.resolve("run.json"), copy.resolve("run.json"));
        Files.copy(run.resolve("vocabulary.txt"), copy.resolve("vocabulary.txt"));
        byte[] full = Files.readAllBytes(run.resolve("checkpoints/best.ckpt"));
        Path cut = copy.resolve("checkpoints/best.ckpt");
        Files.write(cut, java.util.Arrays.copyOf(full, full.length / 2));
        refused(Cli.run("eval", "--checkpoint", cut.toString()), "eval: could not read " + cut, "corrupt");
        refused(Cli.run("generate", "--checkpoint", cut.toString()), "generate: could not read " + cut, "corrupt");
        Files.write(cut, new byte[0]);
        refused(Cli.run("eval", "--checkpoint", cut.toString()), "corrupt");
    }

    @Test
    void aTextFileThatIsNotUtf8NamesTheLineTheByteAndTheEncoding(@TempDir Path dir) throws IOException {
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, "first line\nsecond line\nthe caf\u00e9 is open\n".getBytes(StandardCharsets.ISO_8859_1));
        refused(Cli.run("train", "--task", "lm", "--data", latin1.toString(), "--steps", "1", "--out",
                dir.resolve("r").toString()), latin1 + ":3: expected text in UTF-8", "the invalid byte 0xE9 at byte 8");
        refused(Cli.run("train", "--task", "lm", "--data", dir.resolve("none.txt").toString(), "--steps", "1", "--out",
                dir.resolve("r").toString()), "--data: expected a text file, found nothing at");
    }

    @Test
    void anOutputFolderThatCannotBeCreatedIsAnErrorLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("occupied");
        Files.writeString(file, "a file, not a folder");
        refused(Cli.run("train", "--task", "listops", "--train-examples", "16", "--val-examples", "8", "--steps", "1",
                "--batch", "4", "--out", file.resolve("run").toString()), "--out: cannot create");
    }

    @Test
    void generatingFromAClassifierCheckpointIsRefused(@TempDir Path dir) {
        Path out = dir.resolve("listops");
        assertEquals(0, Cli.run("train", "--task", "listops", "--length", "16", "--train-examples", "16",
                "--val-examples", "8", "--steps", "2", "--layers", "1", "--d-model", "16", "--head-dim", "8",
                "--batch", "4", "--quiet", "--out", out.toString()).code());
        refused(Cli.run("generate", "--checkpoint", out.resolve("checkpoints/latest.ckpt").toString()),
                "generate: expected a language-model checkpoint, found a classifier checkpoint");
        String summary = readString(out.resolve("summary.json"));
        assertFalse(summary.contains("perplexity"), "ListOps has no perplexity: " + summary);
    }

    @Test
    void aDivergedRunsSummaryIsValidJsonWithTheStepTheLossAndTheMessage(@TempDir Path dir) throws IOException {
        TrainingResult r = new TrainingResult(6, TrainingResult.StopReason.DIVERGED, Double.NaN, -1, Double.NaN,
                Map.of(), 1.5, new TrainingResult.Divergence(7, Double.POSITIVE_INFINITY, Double.NaN, 1e-3, null));
        try (MetricsFiles metrics = new MetricsFiles(dir, -1)) {
            metrics.onStep(new TrainingListener.Step(1, 10, Double.NaN, 1e-3, Double.POSITIVE_INFINITY, 1, 1, 0.1));
            metrics.onEvaluation(new TrainingListener.Evaluation(1, Map.of("loss", Double.NaN), true, Double.NaN));
            Training.writeSummary(dir, r, metrics, 10);
        }
        JsonObject s = KillAndResumeTest.strictJson(dir.resolve("summary.json")).getAsJsonObject();
        assertEquals("DIVERGED", s.get("stop").getAsString());
        assertTrue(s.get("lastLoss").isJsonNull() && s.get("best").isJsonNull());
        assertTrue(s.getAsJsonObject("lastEvaluation").get("loss").isJsonNull());
        JsonObject d = s.getAsJsonObject("divergence");
        assertEquals(7, d.get("step").getAsLong());
        assertTrue(d.get("loss").isJsonNull());
        assertTrue(d.get("message").getAsString().startsWith("training diverged at step 7: the loss is Infinity"));
        assertEquals("{\"loss\": null}", MetricsFiles.json(Map.of("loss", Double.NaN)));
    }

    @Test
    void resumingWithoutACheckpointSaysItStartsANewRun(@TempDir Path dir) {
        Cli.Result r = Cli.run("train", "--task", "listops", "--length", "16", "--train-examples", "16", "--val-examples", "8",
                "--steps", "1", "--layers", "1", "--d-model", "16", "--head-dim", "8", "--batch", "4", "--quiet",
                "--resume", "--out", dir.resolve("fresh").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--resume: no checkpoint at ") && r.out().contains("starting a new run"), r.out());
        assertTrue(r.err().startsWith("engine: PyTorch "), "the engine line comes first: " + r.err());
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
