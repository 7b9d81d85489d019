package org.leapformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leapformer.LeapEngine;
import org.leapformer.data.ListOps;
import org.leapformer.data.ListOpsExample;
import org.leapformer.data.ListOpsTsv;
import org.leapformer.train.EvalSource;
import org.leapformer.train.TrainingBatch;

/**
 * The data seed (generation, splits, batch order) apart from the model seed (initialisation,
 * dropout); train / validation / test sets for every task; the checkpoint chosen on validation and
 * test reported.
 */
class SeedsAndSplitsTest {

    private static final String[] TINY = {"--layers", "1", "--d-model", "16", "--heads", "2", "--head-dim", "8",
        "--ffn", "32", "--batch", "8", "--quiet"};

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(Arrays.asList(base));
        all.addAll(Arrays.asList(more));
        return all.toArray(new String[0]);
    }

    private static Args trainArgs(String... args) {
        return Args.parse("train", with(new String[] {"train"}, args), 1, Training.TRAIN_OPTIONS, Set.of("quiet"));
    }

    /** Every value of the first training batches and of every validation and test batch, as text. */
    private static List<String> contents(TaskData d, int steps) {
        List<String> out = new ArrayList<>();
        try (NDManager m = LeapEngine.newManager()) {
            for (int step = 0; step < steps; step++) {
                try (TrainingBatch b = d.train().batch(m, step)) {
                    out.add("train " + step + ": " + values(b));
                }
            }
            for (EvalSource source : List.of(d.valid(), d.test())) {
                for (TrainingBatch b : source.batches(m)) {
                    try (b) {
                        out.add((source == d.valid() ? "validation: " : "test: ") + values(b));
                    }
                }
            }
        }
        return out;
    }

    private static String values(TrainingBatch b) {
        StringBuilder s = new StringBuilder();
        for (NDArray a : b.inputs()) {
            s.append(Arrays.toString(a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray()));
        }
        for (NDArray a : b.labels()) {
            s.append(" -> ").append(Arrays.toString(a.toLongArray()));
        }
        return s.toString();
    }

    private static final String[] LISTOPS = {"--task", "listops", "--length", "24", "--train-examples", "64",
        "--val-examples", "16", "--test-examples", "24", "--batch", "8"};

    @Test
    void theModelSeedAloneChangesNoDataOfAnyTaskAndTheDataSeedChangesIt(@TempDir Path dir) throws IOException {
        // ListOps, generated
        List<String> listops = contents(TaskData.prepare(trainArgs(with(LISTOPS, "--seed", "1"))), 10);
        assertEquals(listops, contents(TaskData.prepare(trainArgs(with(LISTOPS, "--seed", "2"))), 10));
        assertEquals(listops, contents(TaskData.prepare(trainArgs(with(LISTOPS, "--seed", "2", "--data-seed",
                "42"))), 10), "--data-seed defaults to 42");
        List<String> other = contents(TaskData.prepare(trainArgs(with(LISTOPS, "--seed", "1", "--data-seed",
                "7"))), 10);
        assertNotEquals(listops.subList(0, 10), other.subList(0, 10), "another data seed: other training batches");
        assertNotEquals(listops.subList(10, listops.size()), other.subList(10, other.size()),
                "another data seed: other generated validation and test sets");

        // language model over a text file: the sets are contiguous, the data seed is the batch order
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "the quick brown fox jumps over the lazy dog. ".repeat(60));
        String[] lm = {"--task", "lm", "--data", text.toString(), "--length", "16", "--batch", "4"};
        List<String> lmData = contents(TaskData.prepare(trainArgs(with(lm, "--seed", "1"))), 12);
        assertEquals(lmData, contents(TaskData.prepare(trainArgs(with(lm, "--seed", "9"))), 12));
        List<String> lmOther = contents(TaskData.prepare(trainArgs(with(lm, "--data-seed", "3"))), 12);
        assertNotEquals(lmData.subList(0, 12), lmOther.subList(0, 12), "another data seed: another batch order");
        assertEquals(lmData.subList(12, lmData.size()), lmOther.subList(12, lmOther.size()),
                "the contiguous validation and test text does not depend on the seed");

        // the synthetic translation pair
        String[] simul = {"--task", "simul", "--train-examples", "40", "--val-examples", "8", "--test-examples",
            "8"};
        Simul.Data a = Simul.data(Args.parse("train", with(new String[] {"train"}, with(simul, "--seed", "1")), 1,
                Simul.OPTIONS, Set.of()));
        Simul.Data b = Simul.data(Args.parse("train", with(new String[] {"train"}, with(simul, "--seed", "2")), 1,
                Simul.OPTIONS, Set.of()));
        Simul.Data c = Simul.data(Args.parse("train", with(new String[] {"train"}, with(simul, "--data-seed", "5")), 1,
                Simul.OPTIONS, Set.of()));
        assertEquals(List.of(a.train(), a.valid(), a.test()), List.of(b.train(), b.valid(), b.test()));
        assertEquals(contents(a.taskData(8), 5), contents(b.taskData(8), 5));
        assertNotEquals(a.train(), c.train());
        assertNotEquals(a.test(), c.test());
        assertEquals(List.of(40, 8, 8), List.of(a.train().size(), a.valid().size(), a.test().size()));
    }

    @Test
    void twoRunsWithAnotherSeedAndTheSameDataSeedSeeTheSameDataButStartFromOtherWeights(@TempDir Path dir)
            throws IOException {
        String[] base = with(with(LISTOPS, TINY), "--steps", "2", "--eval-every", "2", "--dropout", "0");
        List<Double> firstLoss = new ArrayList<>();
        List<JsonObject> runs = new ArrayList<>();
        String[][] seeds = {{"--seed", "1"}, {"--seed", "1"}, {"--seed", "2"}, {"--seed", "1", "--data-seed", "5"}};
        for (int i = 0; i < seeds.length; i++) {
            Path out = dir.resolve("run" + i);
            Cli.Result r = Cli.run(with(with(with(new String[] {"train"}, base), seeds[i]), "--out", out.toString()));
            assertEquals(0, r.code(), r.err());
            // step 1's loss: the initial weights on batch 0, without dropout
            firstLoss.add(Double.parseDouble(Files.readAllLines(out.resolve("steps.csv")).get(1).split(",")[1]));
            JsonObject run = JsonParser.parseString(Files.readString(out.resolve("run.json"))).getAsJsonObject();
            JsonObject summary = KillAndResumeTest.strictJson(out.resolve("summary.json")).getAsJsonObject();
            assertEquals(run.get("seed"), summary.get("seed"));
            assertEquals(run.get("dataSeed"), summary.get("dataSeed"));
            assertEquals(run.get("splits"), summary.get("splits"));
            runs.add(summary);
        }
        assertEquals(firstLoss.get(0), firstLoss.get(1), "the same seeds: the same run");
        // the same batch 0 (the data does not depend on --seed: see the test above), so another loss means
        // other initial weights
        assertNotEquals(firstLoss.get(0), firstLoss.get(2), "--seed 2: other initial weights");
        assertEquals(1, runs.get(0).get("seed").getAsLong());
        assertEquals(2, runs.get(2).get("seed").getAsLong());
        assertEquals(42, runs.get(2).get("dataSeed").getAsLong());
        assertEquals(5, runs.get(3).get("dataSeed").getAsLong());
        assertEquals(runs.get(0).get("splits"), runs.get(3).get("splits"));
        assertNotEquals(firstLoss.get(0), firstLoss.get(3), "--data-seed 5: another first batch");
    }

    @Test
    void theCheckpointIsChosenOnValidationAndTheTestMetricsOfThatCheckpointAreReported(@TempDir Path dir)
            throws IOException {
        Path out = dir.resolve("run");
        Cli.Result r = Cli.run(with(with(new String[] {"train"}, with(LISTOPS, TINY)), "--steps", "12",
                "--eval-every", "3", "--lr", "3e-3", "--seed", "4", "--data-seed", "6", "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("COMPLETED after 12 steps") && r.out().contains(": test {"), r.out());
        JsonObject s = KillAndResumeTest.strictJson(out.resolve("summary.json")).getAsJsonObject();
        assertEquals(4, s.get("seed").getAsLong());
        assertEquals(6, s.get("dataSeed").getAsLong());
        JsonObject splits = s.getAsJsonObject("splits");
        assertEquals("examples", splits.get("unit").getAsString());
        assertEquals(List.of(64L, 16L, 24L), List.of(splits.get("train").getAsLong(),
                splits.get("validation").getAsLong(), splits.get("test").getAsLong()));
        assertEquals("validation", s.get("selectedOn").getAsString());
        assertEquals("accuracy", s.get("monitor").getAsString());

        // validation: the evaluation of the chosen step, as evaluations.csv has it
        long bestStep = s.get("bestStep").getAsLong();
        List<String> rows = Files.readAllLines(out.resolve("evaluations.csv"));
        List<String> header = List.of(rows.get(0).split(","));
        String[] best = rows.stream().filter(l -> l.startsWith(bestStep + ",")).findFirst().orElseThrow().split(",");
        double validationAccuracy = s.getAsJsonObject("validation").get("accuracy").getAsDouble();
        assertEquals(Double.parseDouble(best[header.indexOf("accuracy")]), validationAccuracy, 1e-6);
        assertEquals(s.get("best").getAsDouble(), validationAccuracy, 1e-12);

        // test: the chosen checkpoint (best.ckpt) on the test set, evaluated once at the end
        JsonObject test = s.getAsJsonObject("test");
        Cli.Result e = Cli.run("eval", "--checkpoint", out.resolve("checkpoints/best.ckpt").toString(), "--split",
                "test");
        assertEquals(0, e.code(), e.err());
        JsonObject evaluated = JsonParser.parseString(e.out().strip()).getAsJsonObject();
        for (String metric : List.of("loss", "accuracy")) {
            assertEquals(evaluated.get(metric).getAsDouble(), test.get(metric).getAsDouble(), 1e-6, metric);
        }
        Cli.Result v = Cli.run("eval", "--checkpoint", out.resolve("checkpoints/best.ckpt").toString());
        assertEquals(validationAccuracy,
                JsonParser.parseString(v.out().strip()).getAsJsonObject().get("accuracy").getAsDouble(), 1e-6,
                "eval reads the run's data seed: the same validation set");

        // the experiment table reports test, of the checkpoint chosen on validation
        Path exp = dir.resolve("exp");
        Cli.Result x = Cli.run(with(new String[] {"experiment", "--tasks", "listops", "--attentions", "leap",
            "--length", "24", "--train-examples", "64", "--val-examples", "16", "--test-examples", "24", "--steps",
            "4", "--eval-every", "2", "--data-seed", "6", "--out", exp.toString()}, TINY));
        assertEquals(0, x.code(), x.err());
        String table = Files.readString(exp.resolve("results.md"));
        assertTrue(table.contains("| test accuracy |") && table.contains("validation accuracy (step chosen)")
                && table.contains("data seed 6") && table.contains("64 train / 16 validation / 24 test examples"),
                table);
    }

    @Test
    void filesWithoutATestSetHaveOneCarvedOutByTheDataSeedAndTooSmallSetsAreRefused(@TempDir Path dir)
            throws IOException {
        List<ListOpsExample> examples = ListOps.builder().optSeed(1).optMaxDepth(3).optMaxArgs(4)
                .optLengthRange(8, 24).build().generate(60);
        ListOpsTsv.write(dir.resolve(ListOpsTsv.TRAIN), examples.subList(0, 50));
        ListOpsTsv.write(dir.resolve(ListOpsTsv.VALID), examples.subList(50, 60));
        String[] files = {"--task", "listops", "--data", dir.toString(), "--length", "24", "--batch", "4"};
        TaskData d = TaskData.prepare(trainArgs(files));
        assertEquals(new TaskData.Splits("examples", 45, 10, 5), d.splits(), "--test-fraction 0.1 of 50");
        assertEquals(contents(d, 3), contents(TaskData.prepare(trainArgs(with(files, "--seed", "8"))), 3));
        assertNotEquals(contents(d, 0), contents(TaskData.prepare(trainArgs(with(files, "--data-seed", "8"))), 0),
                "another data seed carves another test set");

        ListOpsTsv.write(dir.resolve(ListOpsTsv.TEST), examples.subList(0, 7));
        assertEquals(new TaskData.Splits("examples", 50, 10, 7), TaskData.prepare(trainArgs(files)).splits(),
                "basic_test.tsv, when there, is the test set");

        Path text = dir.resolve("short.txt");
        Files.writeString(text, "abcdefghij".repeat(20));
        Cli.Result r = Cli.run(with(new String[] {"train", "--task", "lm", "--data", text.toString(), "--length", "32",
            "--valid-fraction", "0.3", "--test-fraction", "0.05", "--out", dir.resolve("lm").toString()}, TINY));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("language-model test set: expected at least N + 1 = 33 tokens for one window of "
                + "--length 32, found 10 (--test-fraction 0.05 of the 200 tokens of short.txt)"), r.err());

        Path src = dir.resolve("src.txt");
        Path tgt = dir.resolve("tgt.txt");
        Files.writeString(src, "a b\nc d\n");
        Files.writeString(tgt, "x y\nz w\n");
        Cli.Result p = Cli.run("train", "--task", "simul", "--source", src.toString(), "--target", tgt.toString(),
                "--out", dir.resolve("simul").toString(), "--quiet");
        assertEquals(2, p.code());
        assertTrue(p.err().contains("translation data: expected at least 3 sentence pairs (one each for train, "
                + "validation and test), found 2"), p.err());
        Set<String> seen = new HashSet<>();
        for (String seed : List.of("1", "2", "3", "4", "5")) {
            Files.writeString(src, "a b\nc d\ne f\ng h\ni j\nk l\nm n\no p\nq r\ns t\n");
            Files.writeString(tgt, "A B\nC D\nE F\nG H\nI J\nK L\nM N\nO P\nQ R\nS T\n");
            Simul.Data pd = Simul.data(Args.parse("train", new String[] {"train", "--task", "simul", "--source",
                src.toString(), "--target", tgt.toString(), "--data-seed", seed}, 1, Simul.OPTIONS, Set.of()));
            assertEquals(List.of(8, 1, 1), List.of(pd.train().size(), pd.valid().size(), pd.test().size()));
            Set<Object> all = new HashSet<>(pd.train());
            all.addAll(pd.valid());
            all.addAll(pd.test());
            assertEquals(10, all.size(), "the three sets are disjoint and cover the file");
            seen.add(pd.test().toString());
        }
        assertTrue(seen.size() > 1, "the data seed chooses the carved sentences: " + seen);
    }

    @Test
    void simulReportsTheTestSentencesOfTheCheckpointChosenOnValidation(@TempDir Path dir) throws IOException {
        Cli.Result r = Cli.run("simul-experiment", "--attentions", "leap", "--lags", "2", "--steps", "4",
                "--eval-every", "2", "--train-examples", "64", "--val-examples", "8", "--test-examples", "6",
                "--eval-sentences", "50", "--d-model", "16", "--head-dim", "8", "--ffn", "32", "--layers", "1",
                "--batch", "8", "--seed", "3", "--data-seed", "4", "--out", dir.toString(), "--quiet");
        assertEquals(0, r.code(), r.err() + r.out());
        Path run = dir.resolve("leap-wait2");
        JsonObject summary = KillAndResumeTest.strictJson(run.resolve("summary.json")).getAsJsonObject();
        assertEquals("sentence pairs", summary.getAsJsonObject("splits").get("unit").getAsString());
        assertEquals(6, summary.getAsJsonObject("splits").get("test").getAsLong());
        assertEquals("validation", summary.get("selectedOn").getAsString());
        assertTrue(summary.getAsJsonObject("test").has("loss"), summary.toString());
        JsonObject simul = KillAndResumeTest.strictJson(run.resolve("simul.json")).getAsJsonObject();
        assertEquals("test", simul.get("split").getAsString());
        assertEquals(6, simul.get("sentences").getAsInt(), "every test sentence (fewer than --eval-sentences)");
        assertEquals(summary.get("bestStep").getAsLong(), simul.get("step").getAsLong());
        assertEquals(List.of(3L, 4L), List.of(simul.get("seed").getAsLong(), simul.get("data_seed").getAsLong()));
        String table = Files.readString(dir.resolve("results.md"));
        assertTrue(table.contains("| test BLEU |") && table.contains("model seed 3, data seed 4")
                && table.contains("6 test sentences") && table.contains("chosen on validation loss"), table);
    }
}
