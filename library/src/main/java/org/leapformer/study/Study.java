package org.leapformer.study;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.leapformer.data.AtomicFiles;

/**
 * A study: methods × tasks × a learning-rate grid × model seeds, with the data seed fixed.
 *
 * <p>Protocol, for each task and method: train once per rate of the grid with the first seed and
 * keep the rate whose validation metric is best (ties: the earlier rate of the grid); then train
 * every seed at that rate (the first seed's run is the tuning run, not repeated). Seed s gives
 * every method the same shared initial weights and the same batches, so methods are compared
 * seed by seed: for every pair, the mean paired difference of the test metric with its 95%
 * Student-t interval. Each finished run is recorded in {@code DIR/runs/} before the next starts,
 * and a study run again in the same folder skips recorded runs (an interrupted study resumes).
 * Throughput is timed at the end, one method after the other, not from the runs. The whole
 * record is {@code DIR/study.json}; {@code DIR/results.md} is generated from it by
 * {@link StudyReport#markdown}.
 */
public final class Study {

    /** The format tag of study.json. */
    public static final String FORMAT = "leapformer-study/1";

    private final List<StudyTask> tasks;
    private final List<String> methods;
    private final List<Double> learningRates;
    private final List<Long> seeds;
    private final long dataSeed;
    private final Scale scale;
    private final Path dir;
    private final PrintStream progress;
    private final boolean throughput;
    private final int warmupSteps;
    private final int timedSteps;
    private final String engine;

    private Study(Builder b) {
        tasks = List.copyOf(b.tasks);
        methods = List.copyOf(b.methods);
        learningRates = List.copyOf(b.learningRates);
        seeds = List.copyOf(b.seeds);
        dataSeed = b.dataSeed;
        scale = b.scale;
        dir = b.dir;
        progress = b.progress;
        throughput = b.throughput;
        warmupSteps = b.warmupSteps;
        timedSteps = b.timedSteps;
        engine = b.engine;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The study's settings. */
    public static final class Builder {
        private final List<StudyTask> tasks = new ArrayList<>();
        private List<String> methods = List.of();
        private List<Double> learningRates = List.of();
        private List<Long> seeds = List.of(1L, 2L, 3L, 4L, 5L);
        private long dataSeed = 42;
        private Scale scale = Scale.SMALL;
        private Path dir;
        private PrintStream progress;
        private boolean throughput = true;
        private int warmupSteps = 5;
        private int timedSteps = 15;
        private String engine = "unknown";

        public Builder addTask(StudyTask task) {
            tasks.add(Objects.requireNonNull(task, "task"));
            return this;
        }

        public Builder setMethods(List<String> m) {
            methods = List.copyOf(m);
            return this;
        }

        public Builder setLearningRates(List<Double> rates) {
            learningRates = List.copyOf(rates);
            return this;
        }

        /** The model seeds; the first tunes the rates. Default 1..5. */
        public Builder optSeeds(List<Long> s) {
            seeds = List.copyOf(s);
            return this;
        }

        /** Seeds 1..n. */
        public Builder optSeedCount(int n) {
            if (n < 2) {
                throw new IllegalArgumentException("study seeds: expected at least 2 (a paired interval needs two), "
                        + "found " + n);
            }
            List<Long> s = new ArrayList<>();
            for (long i = 1; i <= n; i++) {
                s.add(i);
            }
            seeds = s;
            return this;
        }

        public Builder optDataSeed(long seed) {
            dataSeed = seed;
            return this;
        }

        public Builder optScale(Scale s) {
            scale = Objects.requireNonNull(s, "scale");
            return this;
        }

        /** The study folder: runs/, work/, study.json, results.md. */
        public Builder setDirectory(Path d) {
            dir = d;
            return this;
        }

        /** Where progress lines go (none by default). */
        public Builder optProgress(PrintStream out) {
            progress = out;
            return this;
        }

        /** Whether to time each method's training steps at the end (default yes). */
        public Builder optThroughput(boolean on) {
            throughput = on;
            return this;
        }

        public Builder optThroughputSteps(int warmup, int timed) {
            if (warmup < 0 || timed < 1) {
                throw new IllegalArgumentException("throughput steps: expected warm-up >= 0 and timed >= 1, found "
                        + warmup + " and " + timed);
            }
            warmupSteps = warmup;
            timedSteps = timed;
            return this;
        }

        /** The engine's description, recorded with the machine. */
        public Builder optEngine(String description) {
            engine = Objects.requireNonNull(description, "engine");
            return this;
        }

        public Study build() {
            if (dir == null) {
                throw new IllegalArgumentException("study: expected a folder (setDirectory), found none");
            }
            if (tasks.isEmpty()) {
                throw new IllegalArgumentException("study: expected at least one task, found none");
            }
            if (methods.isEmpty()) {
                throw new IllegalArgumentException("study: expected at least one method, found none");
            }
            if (learningRates.isEmpty()) {
                throw new IllegalArgumentException("study: expected at least one learning rate, found none");
            }
            if (seeds.size() < 2) {
                throw new IllegalArgumentException("study seeds: expected at least 2 (a paired interval needs two), "
                        + "found " + seeds.size());
            }
            requireDistinct("methods", methods);
            requireDistinct("learning rates", learningRates);
            requireDistinct("seeds", seeds);
            Map<String, StudyTask> names = new LinkedHashMap<>();
            for (StudyTask t : tasks) {
                if (!t.name().matches("[a-z0-9-]+")) {
                    throw new IllegalArgumentException("study task name: expected [a-z0-9-]+, found '" + t.name() + "'");
                }
                if (names.put(t.name(), t) != null) {
                    throw new IllegalArgumentException("study tasks: expected distinct names, found '" + t.name()
                            + "' twice");
                }
                for (String m : methods) {
                    if (!m.matches("[a-z0-9-]+")) {
                        throw new IllegalArgumentException("study method: expected [a-z0-9-]+, found '" + m + "'");
                    }
                    if (!t.supports(m)) {
                        throw new IllegalArgumentException("study: task " + t.name() + " cannot train method '" + m
                                + "'; leave it out of the methods or the tasks");
                    }
                }
            }
            for (double lr : learningRates) {
                if (!(lr > 0) || Double.isInfinite(lr)) {
                    throw new IllegalArgumentException("study learning rates: expected numbers > 0, found " + lr);
                }
            }
            return new Study(this);
        }

        private static void requireDistinct(String what, List<?> items) {
            if (new LinkedHashSet<>(items).size() != items.size()) {
                throw new IllegalArgumentException("study " + what + ": expected distinct values, found " + items);
            }
        }
    }

    /** The number of runs the study trains (or finds recorded). */
    public int plannedRuns() {
        return tasks.size() * methods.size() * (learningRates.size() + seeds.size() - 1);
    }

    /** Runs (or resumes) the study; writes and returns study.json's content. */
    public JsonObject run() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("study: cannot create the folder " + dir, e);
        }
        RunStore store = new RunStore(dir);
        int[] counter = {0};
        int total = plannedRuns();
        JsonArray runs = new JsonArray();
        JsonArray taskRecords = new JsonArray();
        Map<String, Map<String, Double>> chosenRates = new LinkedHashMap<>();
        double trainingSeconds = 0;
        for (StudyTask task : tasks) {
            JsonObject tr = new JsonObject();
            tr.addProperty("name", task.name());
            tr.addProperty("description", task.describe(scale));
            tr.addProperty("metric", task.metric());
            tr.addProperty("higherIsBetter", task.higherIsBetter());
            tr.addProperty("validationMetric", task.validationMetric());
            tr.addProperty("validationHigherIsBetter", task.validationHigherIsBetter());
            JsonArray secondary = new JsonArray();
            for (StudyTask.Metric sm : task.secondaryMetrics()) {
                JsonObject so = new JsonObject();
                so.addProperty("name", sm.name());
                so.addProperty("higherIsBetter", sm.higherIsBetter());
                so.addProperty("description", sm.description());
                secondary.add(so);
            }
            tr.add("secondaryMetrics", secondary);
            JsonArray methodRecords = new JsonArray();
            Map<String, double[]> testBySeed = new LinkedHashMap<>();
            Map<String, Map<String, double[]>> secondaryBySeed = new LinkedHashMap<>();
            for (String method : methods) {
                // 1. the rate, on validation, with the first seed
                long first = seeds.get(0);
                Map<Double, StudyTask.Outcome> tuning = new LinkedHashMap<>();
                for (double lr : learningRates) {
                    StudyTask.Run r = new StudyTask.Run(task.name(), method, lr, first, dataSeed, scale);
                    StudyTask.Outcome o = obtain(task, r, store, ++counter[0], total, "tuning");
                    tuning.put(lr, o);
                    runs.add(RunStore.toJson(r, o));
                    trainingSeconds += o.seconds();
                }
                double chosen = choose(tuning, task);
                chosenRates.computeIfAbsent(task.name(), k -> new LinkedHashMap<>()).put(method, chosen);
                // 2. every seed at that rate
                List<StudyTask.Outcome> perSeed = new ArrayList<>();
                perSeed.add(tuning.get(chosen));
                for (long seed : seeds.subList(1, seeds.size())) {
                    StudyTask.Run r = new StudyTask.Run(task.name(), method, chosen, seed, dataSeed, scale);
                    StudyTask.Outcome o = obtain(task, r, store, ++counter[0], total, "seed");
                    perSeed.add(o);
                    runs.add(RunStore.toJson(r, o));
                    trainingSeconds += o.seconds();
                }
                double[] test = values(perSeed, task.metric(), true);
                double[] valid = values(perSeed, task.validationMetric(), false);
                testBySeed.put(method, test);
                JsonObject mr = new JsonObject();
                mr.addProperty("method", method);
                mr.addProperty("learningRate", chosen);
                JsonArray tuned = new JsonArray();
                tuning.forEach((lr, o) -> {
                    JsonObject t = new JsonObject();
                    t.addProperty("learningRate", lr);
                    t.add("validation", RunStore.number(o.validation().getOrDefault(task.validationMetric(),
                            Double.NaN)));
                    tuned.add(t);
                });
                mr.add("tuning", tuned);
                mr.addProperty("parameters", perSeed.get(0).parameters());
                mr.add("test", summary(test));
                mr.add("validation", summary(valid));
                JsonObject more = new JsonObject();
                for (StudyTask.Metric sm : task.secondaryMetrics()) {
                    double[] v = values(perSeed, sm.name(), true);
                    secondaryBySeed.computeIfAbsent(sm.name(), k -> new LinkedHashMap<>()).put(method, v);
                    more.add(sm.name(), summary(v));
                }
                mr.add("secondary", more);
                methodRecords.add(mr);
            }
            tr.add("methods", methodRecords);
            JsonArray pairs = new JsonArray();
            for (int i = 0; i < methods.size(); i++) {
                for (int j = i + 1; j < methods.size(); j++) {
                    pairs.add(pair(methods.get(i), methods.get(j), testBySeed.get(methods.get(i)),
                            testBySeed.get(methods.get(j)), task.higherIsBetter()));
                }
            }
            tr.add("pairs", pairs);
            JsonObject secondaryPairs = new JsonObject();
            for (StudyTask.Metric sm : task.secondaryMetrics()) {
                Map<String, double[]> bySeed = secondaryBySeed.get(sm.name());
                JsonArray sp = new JsonArray();
                for (int i = 0; i < methods.size(); i++) {
                    for (int j = i + 1; j < methods.size(); j++) {
                        double[] a = bySeed.get(methods.get(i));
                        double[] c = bySeed.get(methods.get(j));
                        if (allFinite(a) && allFinite(c)) {
                            sp.add(pair(methods.get(i), methods.get(j), a, c, sm.higherIsBetter()));
                        }
                    }
                }
                secondaryPairs.add(sm.name(), sp);
            }
            tr.add("secondaryPairs", secondaryPairs);
            tr.add("discrimination", discrimination(testBySeed, task));
            taskRecords.add(tr);
        }
        // 3. throughput, sequentially, alone on the machine
        if (throughput) {
            for (int t = 0; t < tasks.size(); t++) {
                StudyTask task = tasks.get(t);
                JsonArray methodRecords = taskRecords.get(t).getAsJsonObject().getAsJsonArray("methods");
                for (int m = 0; m < methods.size(); m++) {
                    JsonObject mo = methodRecords.get(m).getAsJsonObject();
                    mo.add("throughput", throughput(task, methods.get(m), 0));
                    if (!task.longThroughputLengths(scale).isEmpty()) {
                        JsonArray longer = new JsonArray();
                        for (int length : task.longThroughputLengths(scale)) {
                            longer.add(throughput(task, methods.get(m), length));
                        }
                        mo.add("throughputAtLength", longer);
                    }
                }
            }
        }
        JsonObject study = new JsonObject();
        study.addProperty("format", FORMAT);
        study.addProperty("commit", Machine.commit());
        Boolean dirty = Machine.dirty();
        if (dirty != null) {
            study.addProperty("uncommittedChanges", dirty);
        }
        study.addProperty("finished", Instant.now().toString());
        JsonObject machine = Machine.describe();
        machine.addProperty("engine", engine);
        study.add("machine", machine);
        JsonObject sc = new JsonObject();
        sc.addProperty("name", scale.name());
        sc.addProperty("factor", scale.factor());
        study.add("scale", sc);
        study.add("methods", strings(methods));
        JsonArray rates = new JsonArray();
        learningRates.forEach(rates::add);
        study.add("learningRates", rates);
        JsonArray seedArray = new JsonArray();
        seeds.forEach(seedArray::add);
        study.add("seeds", seedArray);
        study.addProperty("tuningSeed", seeds.get(0));
        study.addProperty("dataSeed", dataSeed);
        study.addProperty("trainingSeconds", trainingSeconds);
        JsonObject chosen = new JsonObject();
        chosenRates.forEach((task, m) -> {
            JsonObject o = new JsonObject();
            m.forEach(o::addProperty);
            chosen.add(task, o);
        });
        study.add("chosenLearningRates", chosen);
        study.add("tasks", taskRecords);
        study.add("runs", runs);
        AtomicFiles.write(dir.resolve("study.json"), w -> w.write(RunStore.GSON.toJson(study) + "\n"));
        String md = StudyReport.markdown(study);
        AtomicFiles.write(dir.resolve("results.md"), w -> w.write(md));
        say("study: wrote " + dir.resolve("study.json") + " and " + dir.resolve("results.md"));
        return study;
    }

    private StudyTask.Outcome obtain(StudyTask task, StudyTask.Run r, RunStore store, int index, int total,
            String phase) {
        String what = String.format(Locale.ROOT, "study: [%d/%d] %s %s lr %s seed %d (%s)", index, total, r.task(),
                r.method(), r.learningRate(), r.seed(), phase);
        StudyTask.Outcome recorded = store.read(r);
        if (recorded != null) {
            say(what + ": recorded in " + dir.relativize(store.file(r)) + ", not trained again");
            return recorded;
        }
        say(what + ": training");
        Path work = dir.resolve("work").resolve(store.file(r).getFileName().toString().replace(".json", ""));
        deleteTree(work);
        StudyTask.Outcome o = task.run(r, work);
        if (o == null) {
            throw new IllegalStateException("study task " + task.name() + ": expected an outcome of " + r
                    + ", found null");
        }
        store.write(r, o);
        deleteTree(work.resolve("checkpoints"));
        say(String.format(Locale.ROOT, "%s: validation %s %.4f, test %s %.4f, %d steps in %.1f s", what,
                task.validationMetric(), o.validation().getOrDefault(task.validationMetric(), Double.NaN),
                task.metric(), o.test().getOrDefault(task.metric(), Double.NaN), o.steps(), o.seconds()));
        return o;
    }

    /** The rate with the best finite validation metric (the earlier on a tie); the first if none is finite. */
    static double choose(Map<Double, StudyTask.Outcome> tuning, StudyTask task) {
        Double best = null;
        double bestValue = Double.NaN;
        for (var e : tuning.entrySet()) {
            double v = e.getValue().validation().getOrDefault(task.validationMetric(), Double.NaN);
            if (!Double.isFinite(v)) {
                continue;
            }
            boolean better = best == null || (task.validationHigherIsBetter() ? v > bestValue : v < bestValue);
            if (better) {
                best = e.getKey();
                bestValue = v;
            }
        }
        return best != null ? best : tuning.keySet().iterator().next();
    }

    /** The throughput of a task's method at its own length ({@code length} 0) or at {@code length} tokens. */
    private JsonObject throughput(StudyTask task, String method, int length) {
        String suffix = length > 0 ? "__L" + length : "";
        Path file = dir.resolve("throughput").resolve(task.name() + "__" + method + "__" + scale.name() + suffix
                + ".json");
        String what = "study: throughput of " + task.name() + " " + method + (length > 0 ? " at " + length
                + " tokens" : "");
        if (Files.isRegularFile(file)) {
            try {
                JsonObject o = com.google.gson.JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                        .getAsJsonObject();
                say(what + ": recorded in " + dir.relativize(file) + ", not timed again");
                return o;
            } catch (IOException | RuntimeException e) {
                say(what + ": the record " + file + " is unreadable (" + e.getMessage() + "); timing again");
            }
        }
        say(what + ": " + warmupSteps + " warm-up and " + timedSteps + " timed steps");
        Path work = dir.resolve("work").resolve("throughput__" + task.name() + "__" + method + suffix);
        deleteTree(work);
        StudyTask.Throughput t = length > 0
                ? task.throughputAt(method, scale, dataSeed, length, warmupSteps, timedSteps, work)
                : task.throughput(method, scale, dataSeed, warmupSteps, timedSteps, work);
        deleteTree(work);
        JsonObject o = new JsonObject();
        if (length > 0) {
            o.addProperty("length", length);
        }
        o.addProperty("medianStepSeconds", t.medianStepSeconds());
        o.addProperty("minStepSeconds", t.minStepSeconds());
        o.addProperty("stepsPerSecond", t.stepsPerSecond());
        o.addProperty("tokensPerStep", t.tokensPerStep());
        o.addProperty("tokensPerSecond", t.tokensPerSecond());
        o.addProperty("warmupSteps", t.warmup());
        o.addProperty("timedSteps", t.timed());
        AtomicFiles.write(file, w -> w.write(RunStore.GSON.toJson(o) + "\n"));
        say(String.format(Locale.ROOT, "%s: %.2f steps/s, %,.0f tokens/s", what, t.stepsPerSecond(),
                t.tokensPerSecond()));
        return o;
    }

    private static double[] values(List<StudyTask.Outcome> outcomes, String metric, boolean test) {
        double[] v = new double[outcomes.size()];
        for (int i = 0; i < v.length; i++) {
            Map<String, Double> m = test ? outcomes.get(i).test() : outcomes.get(i).validation();
            v[i] = m.getOrDefault(metric, Double.NaN);
        }
        return v;
    }

    private static JsonObject summary(double[] v) {
        JsonObject o = new JsonObject();
        o.add("mean", RunStore.number(Stats.mean(v)));
        o.add("sd", RunStore.number(Stats.sd(v)));
        o.addProperty("n", v.length);
        JsonArray values = new JsonArray();
        for (double x : v) {
            values.add(RunStore.number(x));
        }
        o.add("values", values);
        return o;
    }

    /** The share of a task's ceiling within which a method's mean is "at the ceiling". */
    public static final double CEILING_MARGIN = 0.02;

    /** How many seed SDs the best and worst methods must be apart for a task to tell methods apart. */
    public static final double DISCRIMINATION_SDS = 3;

    /**
     * Whether a task can tell its methods apart (the test a task must pass before a claim rests on
     * it): the best and worst methods' mean test metrics differ by at least
     * {@link #DISCRIMINATION_SDS} seed SDs (the larger of the two methods' SDs), and no method is
     * at the task's ceiling (within {@link #CEILING_MARGIN} of it).
     */
    static JsonObject discrimination(Map<String, double[]> testBySeed, StudyTask task) {
        return discrimination(testBySeed, task.metric(), task.higherIsBetter(), task.ceiling());
    }

    /**
     * The discrimination test of one metric, given each method's values over the seeds; as
     * {@link #discrimination(Map, StudyTask)}.
     */
    public static JsonObject discrimination(Map<String, double[]> bySeed, String metric, boolean higher,
            java.util.OptionalDouble ceiling) {
        Map<String, double[]> testBySeed = bySeed;
        String best = null;
        String worst = null;
        double bestMean = Double.NaN;
        double worstMean = Double.NaN;
        List<String> atCeiling = new ArrayList<>();
        for (var e : testBySeed.entrySet()) {
            double m = Stats.mean(e.getValue());
            if (!Double.isFinite(m)) {
                continue;
            }
            if (best == null || (higher ? m > bestMean : m < bestMean)) {
                best = e.getKey();
                bestMean = m;
            }
            if (worst == null || (higher ? m < worstMean : m > worstMean)) {
                worst = e.getKey();
                worstMean = m;
            }
            if (ceiling.isPresent()) {
                double c = ceiling.getAsDouble();
                if (Math.abs(c - m) <= CEILING_MARGIN * Math.abs(c)) {
                    atCeiling.add(e.getKey());
                }
            }
        }
        JsonObject o = new JsonObject();
        o.addProperty("rule", "best and worst methods' mean test " + metric + " at least "
                + DISCRIMINATION_SDS + " seed SDs apart (the larger SD of the two), and no method within "
                + (CEILING_MARGIN * 100) + "% of the ceiling");
        if (best == null || testBySeed.values().stream().filter(v -> Double.isFinite(Stats.mean(v))).count() < 2) {
            o.addProperty("passes", false);
            o.addProperty("reason", "fewer than two methods with a finite mean test " + metric);
            return o;
        }
        if (best.equals(worst)) { // every mean equal: the first and another one
            for (var e : testBySeed.entrySet()) {
                if (!e.getKey().equals(best) && Double.isFinite(Stats.mean(e.getValue()))) {
                    worst = e.getKey();
                    worstMean = Stats.mean(e.getValue());
                    break;
                }
            }
        }
        double sd = Math.max(Stats.sd(testBySeed.get(best)), Stats.sd(testBySeed.get(worst)));
        double gap = Math.abs(bestMean - worstMean);
        double sds = sd > 0 ? gap / sd : (gap > 0 ? Double.POSITIVE_INFINITY : 0);
        o.addProperty("best", best);
        o.addProperty("worst", worst);
        o.add("gap", RunStore.number(gap));
        o.add("sd", RunStore.number(sd));
        o.add("gapInSds", RunStore.number(sds));
        if (ceiling.isPresent()) {
            o.addProperty("ceiling", ceiling.getAsDouble());
        }
        o.add("atCeiling", strings(atCeiling));
        boolean separated = sds >= DISCRIMINATION_SDS;
        boolean passes = separated && atCeiling.isEmpty();
        o.addProperty("passes", passes);
        String reason;
        if (passes) {
            reason = String.format(Locale.ROOT, "%s and %s are %.1f seed SDs apart and no method is at the ceiling",
                    best, worst, sds);
        } else if (!separated) {
            reason = String.format(Locale.ROOT, "the best (%s) and worst (%s) are only %.1f seed SDs apart (need %.0f)",
                    best, worst, sds, DISCRIMINATION_SDS);
            if (!atCeiling.isEmpty()) {
                reason += ", and " + String.join(", ", atCeiling) + " at the ceiling";
            }
        } else {
            reason = String.join(", ", atCeiling) + (atCeiling.size() == 1 ? " is" : " are") + " at the ceiling";
        }
        o.addProperty("reason", reason);
        return o;
    }

    private static boolean allFinite(double[] v) {
        if (v == null || v.length == 0) {
            return false;
        }
        for (double x : v) {
            if (!Double.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    /** a − b over the seeds, its 95% interval, and which is better when the interval excludes 0. */
    static JsonObject pair(String a, String b, double[] va, double[] vb, boolean higherIsBetter) {
        Stats.Interval i = Stats.paired(va, vb, 0.95);
        JsonObject o = new JsonObject();
        o.addProperty("a", a);
        o.addProperty("b", b);
        o.add("meanDifference", RunStore.number(i.mean()));
        o.add("sd", RunStore.number(i.sd()));
        o.addProperty("n", i.n());
        o.addProperty("level", i.level());
        o.addProperty("t", i.t());
        o.add("low", RunStore.number(i.low()));
        o.add("high", RunStore.number(i.high()));
        String better;
        if (!(Double.isFinite(i.low()) && Double.isFinite(i.high()))) {
            better = "undetermined";
        } else if (i.low() > 0) {
            better = higherIsBetter ? a : b;
        } else if (i.high() < 0) {
            better = higherIsBetter ? b : a;
        } else {
            better = "neither";
        }
        o.addProperty("better", better);
        // every seed's difference equal: the interval has no width, which says little with few seeds
        o.addProperty("zeroSpread", i.sd() == 0);
        return o;
    }

    private static JsonArray strings(List<String> s) {
        JsonArray a = new JsonArray();
        s.forEach(a::add);
        return a;
    }

    private void say(String line) {
        if (progress != null) {
            progress.println(line);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("study: cannot delete " + root, e);
        }
    }
}
