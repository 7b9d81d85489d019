package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.data.Mqar;
import org.leapformer.train.EvalSource;
import org.leapformer.train.TrainingBatch;

/** {@code train --task mqar}: the generated sets, the data seed, the run's records, and eval. */
class MqarCommandTest {

    private static final String[] TINY = {"--task", "mqar", "--kv-pairs", "2", "--mqar-length", "8", "--mqar-vocab",
        "16", "--train-examples", "64", "--val-examples", "16", "--test-examples", "24", "--layers", "1", "--d-model",
        "16", "--heads", "2", "--head-dim", "8", "--ffn", "32", "--batch", "8", "--quiet"};

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(Arrays.asList(base));
        all.addAll(Arrays.asList(more));
        return all.toArray(new String[0]);
    }

    private static TaskData data(String... args) {
        return TaskData.prepare(Args.parse("train", with(new String[] {"train"}, args), 1, Training.TRAIN_OPTIONS,
                Set.of("quiet")));
    }

    private static List<String> evalContents(EvalSource source) {
        List<String> out = new ArrayList<>();
        try (NDManager m = LeapEngine.newManager()) {
            for (TrainingBatch b : source.batches(m)) {
                try (b) {
                    out.add(Arrays.toString(b.inputs().get(0).toLongArray()) + " -> "
                            + Arrays.toString(b.labels().get(0).toLongArray()));
                }
            }
        }
        return out;
    }

    @Test
    void theSetsComeFromTheDataSeedTestFirstAndAreScoredAtTheQueriesOnly() {
        TaskData d = data(TINY);
        assertEquals(TaskData.MQAR, d.task());
        assertEquals(16, d.vocabSize());
        assertEquals(8, d.length());
        assertEquals("accuracy", d.monitor());
        assertEquals(List.of(64L, 16L, 24L), List.of(d.splits().train(), d.splits().validation(), d.splits().test()));
        try (NDManager m = LeapEngine.newManager(); TrainingBatch b = d.train().batch(m, 0)) {
            long[] in = b.inputs().get(0).toLongArray();
            long[] y = b.labels().get(0).toLongArray();
            assertEquals(8 * 8, in.length);
            for (int r = 0; r < 8; r++) {
                int asked = 0;
                for (int i = 0; i < 8; i++) {
                    long label = y[r * 8 + i];
                    if (label != Mqar.IGNORE) {
                        asked++;
                        // the answer follows the same key among the pairs
                        long key = in[r * 8 + i];
                        assertTrue(key == in[r * 8] && label == in[r * 8 + 1]
                                || key == in[r * 8 + 2] && label == in[r * 8 + 3], "row " + r);
                    }
                }
                assertEquals(2, asked, "K = 2 queries in row " + r);
            }
        }
        List<String> test = evalContents(d.test());
        assertEquals(test, evalContents(data(with(TINY, "--seed", "9")).test()), "the model seed is not the data's");
        assertEquals(test, evalContents(data(with(TINY, "--train-examples", "96")).test()),
                "test is drawn first: more training examples leave it as it is");
        assertNotEquals(test, evalContents(data(with(TINY, "--data-seed", "7")).test()));
    }

    @Test
    void trainRunsAndRecordsTheTaskAndEvalRebuildsItsSets(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Cli.Result r = Cli.run(with(with(new String[] {"train"}, TINY), "--steps", "6", "--eval-every", "3",
                "--attention", "leap", "--seed", "3", "--data-seed", "5", "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("COMPLETED after 6 steps") && r.out().contains(": test {"), r.out());
        JsonObject run = KillAndResumeTest.strictJson(out.resolve("run.json")).getAsJsonObject();
        assertEquals("mqar", run.get("task").getAsString());
        assertTrue(run.get("data").getAsString().contains("generated MQAR (data seed 5, V=16, K=2"), run.toString());
        assertEquals(5, run.get("dataSeed").getAsLong());
        JsonObject s = KillAndResumeTest.strictJson(out.resolve("summary.json")).getAsJsonObject();
        assertEquals("accuracy", s.get("monitor").getAsString());
        assertEquals(24, s.getAsJsonObject("splits").get("test").getAsLong());
        double testAccuracy = s.getAsJsonObject("test").get("accuracy").getAsDouble();
        assertTrue(testAccuracy >= 0 && testAccuracy <= 1, s.toString());
        Cli.Result e = Cli.run("eval", "--checkpoint", out.resolve("checkpoints/best.ckpt").toString(), "--split",
                "test");
        assertEquals(0, e.code(), e.err());
        assertEquals(testAccuracy, JsonParser.parseString(e.out().strip()).getAsJsonObject().get("accuracy")
                .getAsDouble(), 1e-6, "eval rebuilds the MQAR test set from run.json");
    }

    @Test
    void impossibleSettingsAreUsageErrors(@TempDir Path dir) {
        Cli.Result r = Cli.run("train", "--task", "mqar", "--kv-pairs", "8", "--mqar-vocab", "16", "--out",
                dir.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("MQAR vocabulary size: expected V >= 18"), r.err());
        Cli.Result n = Cli.run("train", "--task", "mqar", "--mqar-length", "64", "--length", "32", "--out",
                dir.resolve("y").toString());
        assertEquals(2, n.code());
        assertTrue(n.err().contains("--length: expected the MQAR sequence length --mqar-length 64"), n.err());
        Cli.Result h = Cli.run("train", "help");
        assertTrue(h.out().contains("mqar") && h.out().contains("--kv-pairs"), h.out());
    }
}
