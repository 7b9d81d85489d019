package org.leapformer.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study's protocol, resume and report with a task whose metrics are a known function of the run. */
class StudyProtocolTest {

    /**
     * Validation accuracy = base(method) − 0.1 |log10(lr / best(method))| + 0.01 seed; test = validation −
     * 0.02 + (method a only) 0.001 (seed mod 3). Method a is best at 1e-3, b at 3e-3.
     */
    static class FakeTask implements StudyTask {
        final List<Run> calls = new ArrayList<>();
        final int throwAfter;
        int timings;

        FakeTask(int throwAfter) {
            this.throwAfter = throwAfter;
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public String metric() {
            return "accuracy";
        }

        @Override
        public boolean higherIsBetter() {
            return true;
        }

        @Override
        public String describe(Scale scale) {
            return "a known function of the run";
        }

        static double validation(String method, double lr, long seed) {
            double base = method.equals("a") ? 0.8 : 0.7;
            double best = method.equals("a") ? 1e-3 : 3e-3;
            return base - 0.1 * Math.abs(Math.log10(lr / best)) + 0.01 * seed;
        }

        static double test(String method, double lr, long seed) {
            return validation(method, lr, seed) - 0.02 + (method.equals("a") ? 0.001 * (seed % 3) : 0);
        }

        @Override
        public Outcome run(Run run, Path work) {
            if (calls.size() == throwAfter) {
                throw new IllegalStateException("interrupted after " + throwAfter + " runs");
            }
            calls.add(run);
            assertTrue(!Files.exists(work.resolve("checkpoints")), "a fresh work folder");
            return new Outcome(Map.of("accuracy", validation(run.method(), run.learningRate(), run.seed())),
                    Map.of("accuracy", test(run.method(), run.learningRate(), run.seed())),
                    run.method().equals("a") ? 1000 : 900, 10, 0.5);
        }

        @Override
        public Throughput throughput(String method, Scale scale, long dataSeed, int warmup, int timed, Path work) {
            timings++;
            return new Throughput(method.equals("a") ? 0.02 : 0.01, 0.009, 512, warmup, timed);
        }
    }

    private static Study study(FakeTask task, Path dir) {
        return Study.builder().addTask(task).setMethods(List.of("a", "b")).setLearningRates(List.of(1e-3, 3e-3))
                .optSeeds(List.of(1L, 2L, 3L, 4L, 5L)).optDataSeed(7).optScale(Scale.QUICK).setDirectory(dir)
                .optEngine("fake engine").build();
    }

    @Test
    void tunesOnValidationThenPairsTheSeeds(@TempDir Path dir) throws Exception {
        FakeTask task = new FakeTask(-1);
        JsonObject s = study(task, dir).run();
        // 2 rates + 4 more seeds, for each of 2 methods
        assertEquals(12, task.calls.size());
        assertEquals(0.001, s.getAsJsonObject("chosenLearningRates").getAsJsonObject("fake").get("a").getAsDouble());
        assertEquals(0.003, s.getAsJsonObject("chosenLearningRates").getAsJsonObject("fake").get("b").getAsDouble());
        // tuning used the first seed only; then every seed at the chosen rate, the same seeds for both methods
        for (String m : List.of("a", "b")) {
            double chosen = m.equals("a") ? 1e-3 : 3e-3;
            List<Long> seeds = task.calls.stream().filter(r -> r.method().equals(m) && r.learningRate() == chosen)
                    .map(StudyTask.Run::seed).toList();
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seeds);
            assertTrue(task.calls.stream().filter(r -> r.method().equals(m) && r.learningRate() != chosen)
                    .allMatch(r -> r.seed() == 1));
            assertTrue(task.calls.stream().allMatch(r -> r.dataSeed() == 7));
        }
        JsonObject t = s.getAsJsonArray("tasks").get(0).getAsJsonObject();
        JsonObject a = t.getAsJsonArray("methods").get(0).getAsJsonObject();
        JsonObject b = t.getAsJsonArray("methods").get(1).getAsJsonObject();
        double[] ta = new double[5];
        double[] tb = new double[5];
        for (int i = 0; i < 5; i++) {
            ta[i] = FakeTask.test("a", 1e-3, i + 1);
            tb[i] = FakeTask.test("b", 3e-3, i + 1);
        }
        // test metric reported (not validation): a's test = 0.78 + 0.01 seed + 0.001 (seed mod 3), mean over
        // seeds 1..5 0.78 + 0.03 + 0.0012; its validation 0.8 + 0.01 seed, mean 0.83
        assertEquals(0.8112, a.getAsJsonObject("test").get("mean").getAsDouble(), 1e-12);
        assertEquals(0.83, a.getAsJsonObject("validation").get("mean").getAsDouble(), 1e-12);
        assertEquals(Stats.sd(ta), a.getAsJsonObject("test").get("sd").getAsDouble(), 1e-15);
        assertEquals(1000, a.get("parameters").getAsLong());
        assertEquals(900, b.get("parameters").getAsLong());
        // a − b = 0.1 + 0.001 (seed mod 3): 0.101, 0.102, 0.100, 0.101, 0.102 → mean 0.1012
        JsonObject pair = t.getAsJsonArray("pairs").get(0).getAsJsonObject();
        assertEquals("a", pair.get("a").getAsString());
        assertEquals(0.1012, pair.get("meanDifference").getAsDouble(), 1e-12);
        double sd = Math.sqrt((0.0002 * 0.0002 * 2 + 0.0008 * 0.0008 * 2 + 0.0012 * 0.0012) / 4);
        assertEquals(sd, pair.get("sd").getAsDouble(), 1e-12);
        assertEquals(0.1012 - 2.776445105 * sd / Math.sqrt(5), pair.get("low").getAsDouble(), 1e-9);
        assertEquals("a", pair.get("better").getAsString());
        // throughput timed once per method, after the runs
        assertEquals(2, task.timings);
        assertEquals(50, a.getAsJsonObject("throughput").get("stepsPerSecond").getAsDouble(), 1e-9);
        assertEquals(25_600, a.getAsJsonObject("throughput").get("tokensPerSecond").getAsDouble(), 1e-6);
        // the record
        assertEquals(Study.FORMAT, s.get("format").getAsString());
        assertFalse(s.get("commit").getAsString().isBlank());
        assertTrue(s.getAsJsonObject("machine").has("cpu"));
        assertEquals(12, s.getAsJsonArray("runs").size());
        assertEquals(12, countRuns(dir));
        assertTrue(Files.isRegularFile(dir.resolve("study.json")));
    }

    /** The fake task with secondary metrics ("extra": a's 2 + seed, b's 9 + seed + 0.1 (seed mod 2); "other": b's only) and a ceiling. */
    static class SecondaryTask extends FakeTask {
        final double ceiling;

        SecondaryTask(double ceiling) {
            super(-1);
            this.ceiling = ceiling;
        }

        @Override
        public List<Metric> secondaryMetrics() {
            return List.of(new Metric("extra", false, "a made-up loss"), new Metric("other", true, "b's alone"));
        }

        @Override
        public java.util.OptionalDouble ceiling() {
            return java.util.OptionalDouble.of(ceiling);
        }

        @Override
        public Outcome run(Run run, Path work) {
            Outcome o = super.run(run, work);
            Map<String, Double> test = new java.util.HashMap<>(o.test());
            test.put("extra", run.method().equals("a") ? 2.0 + run.seed() : 9.0 + run.seed() + 0.1 * (run.seed() % 2));
            if (run.method().equals("b")) {
                test.put("other", (double) run.seed());
            }
            return new Outcome(o.validation(), test, o.parameters(), o.steps(), o.seconds());
        }
    }

    @Test
    void secondaryMetricsAreSummarisedAndPairedAndTheDiscriminationTestIsApplied(@TempDir Path dir)
            throws Exception {
        JsonObject s = study(new SecondaryTask(1.0), dir).run();
        JsonObject t = s.getAsJsonArray("tasks").get(0).getAsJsonObject();
        JsonObject a = t.getAsJsonArray("methods").get(0).getAsJsonObject();
        JsonObject b = t.getAsJsonArray("methods").get(1).getAsJsonObject();
        // extra: a 3..7 (mean 5), b 10.1, 11, 12.1, 13, 14.1 (mean 12.06)
        assertEquals(5, a.getAsJsonObject("secondary").getAsJsonObject("extra").get("mean").getAsDouble(), 1e-12);
        assertEquals(12.06, b.getAsJsonObject("secondary").getAsJsonObject("extra").get("mean").getAsDouble(), 1e-12);
        JsonObject pair = t.getAsJsonObject("secondaryPairs").getAsJsonArray("extra").get(0).getAsJsonObject();
        assertEquals(-7.06, pair.get("meanDifference").getAsDouble(), 1e-12);
        assertEquals("a", pair.get("better").getAsString(), "lower extra is better: a");
        // a has no "other": n/a, and no pair
        assertTrue(a.getAsJsonObject("secondary").getAsJsonObject("other").get("mean").isJsonNull());
        assertEquals(0, t.getAsJsonObject("secondaryPairs").getAsJsonArray("other").size());
        // a − b test accuracy is 0.1012 with seed SDs about 0.016: many SDs apart, and neither near 1.0
        JsonObject d = t.getAsJsonObject("discrimination");
        assertTrue(d.get("passes").getAsBoolean(), d.toString());
        assertEquals("a", d.get("best").getAsString());
        assertEquals("b", d.get("worst").getAsString());
        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| a | 5.0000 ± 1.5811 | n/a ± n/a |"), md);
        assertTrue(md.contains("Does this task tell the methods apart? **Yes**"), md);
        assertTrue(md.contains("Paired differences of the test extra"), md);
    }

    @Test
    void aMethodNearTheCeilingFailsTheDiscriminationTest(@TempDir Path dir) {
        // a's mean test accuracy 0.8112 is within 2% of a ceiling of 0.82
        JsonObject s = study(new SecondaryTask(0.82), dir).run();
        JsonObject d = s.getAsJsonArray("tasks").get(0).getAsJsonObject().getAsJsonObject("discrimination");
        assertFalse(d.get("passes").getAsBoolean());
        assertEquals("a is at the ceiling", d.get("reason").getAsString());
    }

    @Test
    void methodsWithinThreeSeedSdsFailTheDiscriminationTest() {
        StudyTask task = new FakeTask(-1);
        Map<String, double[]> close = new java.util.LinkedHashMap<>();
        close.put("x", new double[] {0.50, 0.52, 0.48});
        close.put("y", new double[] {0.47, 0.51, 0.45}); // means 0.50 and 0.4767 (gap 0.0233); SDs 0.02 and 0.0306
        JsonObject d = Study.discrimination(close, task);
        assertFalse(d.get("passes").getAsBoolean());
        assertEquals((0.07 / 3) / Math.sqrt(0.0028 / 3), d.get("gapInSds").getAsDouble(), 1e-9);
        assertTrue(d.get("reason").getAsString().contains("only 0.8 seed SDs apart"), d.toString());
    }

    @Test
    void lowerIsBetterPicksTheSmallestValidationAndFlipsTheVerdict(@TempDir Path dir) {
        StudyTask.Outcome small = new StudyTask.Outcome(Map.of("loss", 1.0), Map.of(), 1, 1, 1);
        StudyTask.Outcome large = new StudyTask.Outcome(Map.of("loss", 2.0), Map.of(), 1, 1, 1);
        StudyTask.Outcome nan = new StudyTask.Outcome(Map.of("loss", Double.NaN), Map.of(), 1, 1, 1);
        StudyTask loss = new FakeTask(-1) {
            @Override
            public String metric() {
                return "loss";
            }

            @Override
            public boolean higherIsBetter() {
                return false;
            }
        };
        assertEquals(2e-3, Study.choose(Map.of(1e-3, large, 2e-3, small), loss));
        var ordered = new java.util.LinkedHashMap<Double, StudyTask.Outcome>();
        ordered.put(1e-3, nan);
        ordered.put(2e-3, large);
        assertEquals(2e-3, Study.choose(ordered, loss)); // a diverged rate is never chosen
        JsonObject p = Study.pair("x", "y", new double[] {1, 1.1, 0.9}, new double[] {2, 2.2, 2.1}, false);
        assertEquals("x", p.get("better").getAsString());
        assertFalse(p.get("zeroSpread").getAsBoolean());
        JsonObject equal = Study.pair("x", "y", new double[] {0.5, 0.6}, new double[] {0.25, 0.35}, true);
        assertTrue(equal.get("zeroSpread").getAsBoolean());
        assertEquals(0.25, equal.get("low").getAsDouble(), 1e-12);
    }

    @Test
    void anInterruptedStudyResumesWithoutTrainingARecordedRunAgain(@TempDir Path dir) throws Exception {
        FakeTask first = new FakeTask(5);
        var e = assertThrows(IllegalStateException.class, () -> study(first, dir).run());
        assertTrue(e.getMessage().contains("interrupted"));
        assertEquals(5, first.calls.size());
        assertEquals(5, countRuns(dir));
        assertFalse(Files.exists(dir.resolve("study.json")), "no study.json before the study finished");
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
        FakeTask second = new FakeTask(-1);
        JsonObject s = study(second, dir).run();
        Set<StudyTask.Run> before = new HashSet<>(first.calls);
        assertEquals(12 - 5, second.calls.size());
        for (StudyTask.Run r : second.calls) {
            assertFalse(before.contains(r), "trained again: " + r);
        }
        // the resumed study is the study that would have run in one go
        FakeTask fresh = new FakeTask(-1);
        Path other = Files.createDirectories(dir.resolve("other"));
        JsonObject once = study(fresh, other).run();
        assertEquals(once.get("tasks"), s.get("tasks"));
        assertEquals(once.get("runs"), s.get("runs"));
        // a third run trains nothing
        FakeTask third = new FakeTask(0);
        study(third, dir).run();
        assertEquals(0, third.calls.size());
        assertEquals(0, third.timings, "throughput records are kept too");
    }

    @Test
    void aRecordOfAnotherDataSeedIsRefused(@TempDir Path dir) {
        study(new FakeTask(-1), dir).run();
        Study other = Study.builder().addTask(new FakeTask(-1)).setMethods(List.of("a", "b"))
                .setLearningRates(List.of(1e-3, 3e-3)).optSeedCount(5).optDataSeed(8).optScale(Scale.QUICK)
                .setDirectory(dir).build();
        // the same file names (the data seed is not in the key) hold data seed 7
        var e = assertThrows(IllegalStateException.class, other::run);
        assertTrue(e.getMessage().contains("expected data seed 8, found 7"), e.getMessage());
    }

    @Test
    void resultsMarkdownIsAFunctionOfStudyJson(@TempDir Path dir) throws Exception {
        study(new FakeTask(-1), dir).run();
        String written = Files.readString(dir.resolve("results.md"), StandardCharsets.UTF_8);
        JsonObject json = JsonParser.parseString(Files.readString(dir.resolve("study.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        assertEquals(written, StudyReport.markdown(json));
        assertEquals(written, StudyReport.markdown(dir.resolve("study.json")));
        assertTrue(written.contains("| a | 0.001 | 0.8112 ± 0.0160 | 0.8300 ± 0.0158 | 1,000 | 50.00 | 25,600 |"),
                written);
        assertTrue(written.contains("| a − b | 0.1012 | [0.1002, 0.1022] | a |"), written);
        // b at 1e-3, seed 1: 0.7 − 0.1 log10(3) + 0.01 = 0.6623
        assertTrue(written.contains("| b | 0.6623 | **0.7100** |"), written);
        // a number changed in the JSON changes the markdown
        JsonArray methods = json.getAsJsonArray("tasks").get(0).getAsJsonObject().getAsJsonArray("methods");
        methods.get(0).getAsJsonObject().getAsJsonObject("test").addProperty("mean", 0.5);
        assertTrue(StudyReport.markdown(json).contains("| a | 0.001 | 0.5000 ± 0.0160 |"));
        json.addProperty("format", "other/2");
        var e = assertThrows(IllegalArgumentException.class, () -> StudyReport.markdown(json));
        assertTrue(e.getMessage().contains("expected format leapformer-study/1, found other/2"));
    }

    @Test
    void settingsAreChecked(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> Study.builder().addTask(new FakeTask(-1))
                .setMethods(List.of("a")).setLearningRates(List.of(1e-3)).optSeeds(List.of(1L)).setDirectory(dir)
                .build());
        assertTrue(e.getMessage().contains("expected at least 2"), e.getMessage());
        StudyTask picky = new FakeTask(-1) {
            @Override
            public boolean supports(String method) {
                return !method.equals("b");
            }
        };
        e = assertThrows(IllegalArgumentException.class, () -> Study.builder().addTask(picky)
                .setMethods(List.of("a", "b")).setLearningRates(List.of(1e-3)).setDirectory(dir).build());
        assertTrue(e.getMessage().contains("cannot train method 'b'"), e.getMessage());
        assertEquals(Scale.QUICK, Scale.parse("quick"));
        assertEquals(0.5, Scale.parse("0.5").factor());
        assertThrows(IllegalArgumentException.class, () -> Scale.parse("huge"));
    }

    private static long countRuns(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("runs"))) {
            return files.filter(f -> f.toString().endsWith(".json")).count();
        }
    }
}
