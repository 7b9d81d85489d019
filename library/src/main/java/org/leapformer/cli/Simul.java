package org.leapformer.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.leapformer.LeapEngine;
import org.leapformer.data.AtomicFiles;
import org.leapformer.data.ParallelText;
import org.leapformer.data.SyntheticTranslation;
import org.leapformer.data.TranslationPair;
import org.leapformer.data.Vocabulary;
import org.leapformer.data.WordTokenizer;
import org.leapformer.eval.Bleu;
import org.leapformer.eval.Latency;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.Positions;
import org.leapformer.model.SimulDecoding;
import org.leapformer.model.SimulTranslator;
import org.leapformer.ops.WaitK;
import org.leapformer.train.Checkpoint;
import org.leapformer.train.ConsoleProgress;
import org.leapformer.train.DataSources;
import org.leapformer.train.Task;
import org.leapformer.train.Tasks;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingConfig;
import org.leapformer.train.TrainingResult;

/**
 * Simultaneous translation on the command line: {@code train --task simul --wait-k K},
 * {@code translate} (streams a sentence, printing every read and write) and
 * {@code simul-experiment} (LeaP, ReLU-linear and softmax for several k: BLEU, accuracy, AL).
 */
final class Simul {

    static final Set<String> OPTIONS = new HashSet<>(Training.TRAIN_OPTIONS);

    static {
        OPTIONS.addAll(List.of("wait-k", "source", "target", "eval-sentences", "pair"));
    }

    private Simul() {}

    /**
     * The parallel data of a run, encoded with one word vocabulary (built from the training pairs)
     * for both sides: train, validation (the best checkpoint) and test (reported) sentence pairs.
     */
    record Data(WordTokenizer tokenizer, List<TranslationPair> train, List<TranslationPair> valid,
            List<TranslationPair> test, int maxLength, String description, long dataSeed) {

        /** Data with no test set (a model's vocabulary alone, e.g. to translate one sentence). */
        Data(WordTokenizer tokenizer, List<TranslationPair> train, List<TranslationPair> valid, int maxLength,
                String description) {
            this(tokenizer, train, valid, List.of(), maxLength, description, TaskData.DEFAULT_SEED);
        }

        List<int[]> sources(List<TranslationPair> pairs) {
            List<int[]> out = new ArrayList<>();
            for (TranslationPair p : pairs) {
                out.add(encode(p.source()));
            }
            return out;
        }

        List<int[]> targets(List<TranslationPair> pairs) {
            List<int[]> out = new ArrayList<>();
            for (TranslationPair p : pairs) {
                out.add(encode(p.target()));
            }
            return out;
        }

        /** Word ids and the end token. */
        int[] encode(List<String> words) {
            Vocabulary v = tokenizer.vocabulary();
            int[] ids = new int[words.size() + 1];
            for (int i = 0; i < words.size(); i++) {
                ids[i] = v.contains(words.get(i)) ? v.id(words.get(i)) : tokenizer.unkId();
            }
            ids[words.size()] = tokenizer.eosId();
            return ids;
        }

        /** Batches of the three sets; the training order follows the data seed. */
        TaskData taskData(int batch) {
            int end = tokenizer.eosId();
            int pad = tokenizer.vocabulary().require(Vocabulary.PAD);
            return new TaskData("simul", tokenizer.vocabulary().size(), 0, maxLength,
                    DataSources.translation(sources(train), targets(train), end, pad, batch, dataSeed),
                    DataSources.translationEval(sources(valid), targets(valid), end, pad, batch),
                    DataSources.translationEval(sources(test), targets(test), end, pad, batch), tokenizer, "word",
                    description, dataSeed, new TaskData.Splits("sentence pairs", train.size(), valid.size(),
                            test.size()));
        }
    }

    /**
     * The sentence pairs of a run, all drawn with the data seed ({@code --data-seed}): the synthetic
     * pair is generated from it (test first, then validation, then train, so the test set does not
     * change with {@code --train-examples}); parallel text files have their validation and test
     * sets carved out by it. {@code --pair default|hard} chooses the synthetic pair
     * ({@link SyntheticTranslation#builder()} or {@link SyntheticTranslation#hard()}); it is
     * refused with files.
     */
    static Data data(Args a) {
        long seed = TaskData.dataSeed(a);
        List<TranslationPair> train;
        List<TranslationPair> valid;
        List<TranslationPair> test;
        String from;
        if (a.has("source") || a.has("target")) {
            if (a.has("pair")) {
                throw new IllegalArgumentException("--pair and --source/--target: expected either a synthetic pair "
                        + "(--pair default|hard) or parallel text files (--source FILE --target FILE), found both "
                        + "(--pair " + a.string("pair", "") + ")");
            }
            Path s = a.path("source", null);
            Path t = a.path("target", null);
            if (s == null || t == null) {
                throw new IllegalArgumentException("--source and --target: expected both aligned files (one sentence "
                        + "per line), found only --" + (s == null ? "target" : "source"));
            }
            List<TranslationPair> all = ParallelText.read(s, t);
            double validFraction = a.number("valid-fraction", 0.1, 0, 0.9);
            double testFraction = a.number("test-fraction", 0.1, 0, 0.9);
            if (all.size() < 3) {
                throw new IllegalArgumentException("translation data: expected at least 3 sentence pairs (one each "
                        + "for train, validation and test), found " + all.size() + " in " + s + " / " + t);
            }
            int testCount = Math.max(1, (int) Math.round(all.size() * testFraction));
            List<List<TranslationPair>> first = TaskData.carve(all, (double) testCount / all.size(), seed,
                    "translation test set (--test-fraction " + testFraction + " of " + all.size() + " pairs)");
            test = first.get(1);
            int validCount = Math.max(1, (int) Math.round(all.size() * validFraction));
            List<List<TranslationPair>> second = TaskData.carve(first.get(0),
                    (double) validCount / first.get(0).size(), seed + 1, "translation validation set "
                            + "(--valid-fraction " + validFraction + " of " + all.size() + " pairs, after the "
                            + test.size() + " test pairs)");
            train = second.get(0);
            valid = second.get(1);
            from = "parallel text " + s + " / " + t + " (validation and test carved out by data seed " + seed + ")";
        } else {
            int trainCount = a.positiveInt("train-examples", 6000);
            int validCount = a.positiveInt("val-examples", 300);
            int testCount = a.positiveInt("test-examples", 300);
            String pair = a.choice("pair", "default", "default", "hard");
            SyntheticTranslation.Builder b = pair.equals("hard") ? SyntheticTranslation.hard()
                    : SyntheticTranslation.builder();
            List<TranslationPair> all = b.optSeed(seed).build().generate(testCount + validCount + trainCount);
            test = all.subList(0, testCount);
            valid = all.subList(testCount, testCount + validCount);
            train = all.subList(testCount + validCount, all.size());
            from = "synthetic translation, " + pair + ": data seed " + seed + "; verb-final target, reordered "
                    + "modifiers" + (pair.equals("hard") ? ", up to 3 prepositional phrases reversed" : "");
        }
        Map<String, Long> counts = new HashMap<>();
        int longest = 0;
        for (TranslationPair p : train) {
            p.source().forEach(w -> counts.merge(w, 1L, Long::sum));
            p.target().forEach(w -> counts.merge(w, 1L, Long::sum));
        }
        for (List<TranslationPair> set : List.of(train, valid, test)) {
            for (TranslationPair p : set) {
                longest = Math.max(longest, Math.max(p.source().size(), p.target().size()) + 1);
            }
        }
        WordTokenizer tokenizer = WordTokenizer.builder().build(counts);
        return new Data(tokenizer, train, valid, test, longest + 8, from + ", " + train.size() + " train / "
                + valid.size() + " validation / " + test.size() + " test sentence pairs", seed);
    }

    /** "inf" or "offline" → {@link WaitK#OFFLINE}, else a positive integer. */
    static long lag(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("inf") || v.equals("offline") || v.equals("∞")) {
            return WaitK.OFFLINE;
        }
        try {
            long k = Long.parseLong(v);
            if (k >= 1) {
                return k;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--wait-k: expected a lag k >= 1 or 'inf' (offline), found '" + value + "'");
    }

    static String lagName(long k) {
        return k == WaitK.OFFLINE ? "inf" : Long.toString(k);
    }

    /** What one trained policy (the checkpoint chosen on validation loss) scores on the test sentences. */
    record Scores(double bleu, double accuracy, double averageLagging, int sentences) {}

    static int train(String[] args, PrintStream out) {
        Args a = Args.parse("train", args, 1, OPTIONS, Set.of("quiet"));
        Run r = run(a, out, !a.flag("quiet"));
        if (r.result.reason() == TrainingResult.StopReason.DIVERGED) {
            out.println("error: " + r.result.divergence().message() + "; outputs in " + r.dir);
            return 1;
        }
        out.println(String.format(Locale.ROOT, "%s after %d steps in %.1f s: wait-%s BLEU %.2f, exact match %.3f, "
                + "AL %.2f on %d test sentences (the model of step %d, chosen on validation loss; seed %d, data seed %d); "
                + "outputs in %s", r.result.reason(), r.result.steps(),
                r.result.seconds(), lagName(r.k), r.scores.bleu, r.scores.accuracy, r.scores.averageLagging,
                r.scores.sentences, r.result.bestStep(), r.result.seed(),
                r.result.dataSeed(), r.dir));
        return 0;
    }

    record Run(Path dir, String kind, long k, TrainingResult result, Scores scores, long parameters,
            TaskData.Splits splits) {}

    static Run run(Args a, PrintStream console, boolean progress) {
        return run(a, console, progress, null);
    }

    /** As {@link #run(Args, PrintStream, boolean)}, with {@code extra} (when not null) listening to the trainer. */
    static Run run(Args a, PrintStream console, boolean progress, org.leapformer.train.TrainingListener extra) {
        Path dir = a.path("out", null);
        if (dir == null) {
            throw new IllegalArgumentException("train: expected --out DIR (metrics and checkpoints go there), found none");
        }
        long k = lag(a.string("wait-k", "3"));
        Data data = data(a);
        TaskData td = data.taskData(a.positiveInt("batch", 32));
        ModelConfig mc = Training.modelConfig(a, td);
        if (!a.has("positions")) {
            mc = mc.toBuilder().optPositions(Positions.SINUSOIDAL).build(); // a stream has no length limit
        }
        TrainingConfig tc = Training.trainingConfig(a, td, dir.resolve("checkpoints"));
        Device device = tc.resolveDevices()[0];
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot create " + dir, e);
        }
        data.tokenizer().vocabulary().save(dir.resolve("vocabulary.txt"));
        LeapEngine.engine().setRandomSeed((int) tc.seed());
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            SimulTranslator model = new SimulTranslator(mc).initialize(manager, DataType.FLOAT32, tc.seed());
            Task task = Tasks.translation(model, k, data.tokenizer());
            try (Trainer trainer = new Trainer(task, tc); MetricsFiles metrics = new MetricsFiles(dir, -1)) {
                trainer.addListener(metrics);
                if (progress) {
                    trainer.addListener(new ConsoleProgress("simul " + mc.kind() + " wait-" + lagName(k), console));
                }
                if (extra != null) {
                    trainer.addListener(extra);
                }
                // the checkpoint is chosen on validation loss; test loss and streamed test scores are reported
                TrainingResult result = trainer.fit(td.train(), td.valid(), td.test());
                long params = Training.parameterCount(model);
                Training.writeSummary(dir, result, metrics, params, td.splits(), tc);
                int limit = a.positiveInt("eval-sentences", 200);
                Scores scores = trainer.withBestParameters(() -> evaluate(model, data, k, manager, limit));
                // AL is NaN when every output was empty: JSON has no NaN, so it is written as null
                String lag = Double.isFinite(scores.averageLagging)
                        ? String.format(Locale.ROOT, "%.4f", scores.averageLagging) : "null";
                // the pair: default or hard (synthetic), or files; the data as described, JSON-escaped
                String pair = a.has("source") || a.has("target") ? "files" : a.choice("pair", "default", "default",
                        "hard");
                String json = String.format(Locale.ROOT, "{\"attention\": \"%s\", \"wait_k\": \"%s\", \"split\": \"test\", "
                        + "\"bleu\": %.4f, \"exact_match\": %.4f, \"average_lagging\": %s, \"sentences\": %d, "
                        + "\"step\": %d, \"selected_on\": \"%s\", \"seed\": %d, \"data_seed\": %d, \"pair\": \"%s\", "
                        + "\"data\": %s}%n", mc.kind(),
                        lagName(k), scores.bleu, scores.accuracy, lag, scores.sentences,
                        result.bestStep() >= 0 ? result.bestStep() : result.steps(), result.selectedOn(), result.seed(),
                        result.dataSeed(), pair, new com.google.gson.JsonPrimitive(data.description()));
                AtomicFiles.write(dir.resolve("simul.json"), w -> w.write(json));
                return new Run(dir, mc.kind().toString(), k, result, scores, params, td.splits());
            }
        }
    }

    /**
     * Streams the first {@code limit} test sentences under wait-k: BLEU, exact match, AL (γ from each
     * reference's length; empty outputs left out of the mean, as in SimulEval).
     */
    static Scores evaluate(SimulTranslator model, Data data, long k, NDManager manager, int limit) {
        List<TranslationPair> test = data.test().subList(0, Math.min(limit, data.test().size()));
        List<List<String>> hyps = new ArrayList<>();
        List<List<String>> refs = new ArrayList<>();
        List<Double> lagging = new ArrayList<>();
        int end = data.tokenizer().eosId();
        for (TranslationPair p : test) {
            int[] src = data.encode(p.source());
            SimulDecoding.Result r = SimulDecoding.waitK(model, manager, src, k, end, end, 2 * src.length + 8, null);
            List<String> words = new ArrayList<>();
            for (int id : r.target()) {
                words.add(data.tokenizer().vocabulary().token(id));
            }
            hyps.add(words);
            refs.add(p.target());
            // γ from the reference's length, as SimulEval by default
            lagging.add(Latency.averageLagging(r.delays(), r.sourceLength(), p.target().size()));
        }
        double bleu = Bleu.corpus(hyps, refs).score();
        return new Scores(bleu, org.leapformer.eval.Metrics.exactMatch(hyps, refs), Latency.mean(lagging),
                test.size());
    }

    static int translate(String[] args, PrintStream out) {
        Args a = Args.parse("translate", args, 1, Set.of("checkpoint", "wait-k", "sentence", "reference"), Set.of());
        Path file = a.path("checkpoint", null);
        if (file == null) {
            throw new IllegalArgumentException("translate: expected --checkpoint FILE, found none");
        }
        String sentence = a.string("sentence", null);
        if (sentence == null || sentence.isBlank()) {
            throw new IllegalArgumentException("translate: expected --sentence \"words ...\", found none");
        }
        List<String> reference = null;
        if (a.has("reference")) {
            String ref = a.string("reference", "");
            if (ref.isBlank()) {
                throw new IllegalArgumentException("--reference: expected the sentence's translation, words "
                        + "separated by spaces, found none");
            }
            reference = List.of(ref.trim().split("\\s+"));
        }
        long k = lag(a.string("wait-k", "3"));
        try (NDManager manager = LeapEngine.newManager()) {
            Checkpoint ck = Checkpoint.read(file);
            if (!Tasks.TRANSLATION.equals(ck.modelType())) {
                throw new IllegalArgumentException("--checkpoint: expected a translation model (train --task simul), "
                        + "found a " + ck.modelType() + " in " + file);
            }
            Task task = ck.newTask(manager);
            SimulTranslator model = (SimulTranslator) task.block();
            WordTokenizer tok = (WordTokenizer) task.tokenizer();
            Data d = new Data(tok, List.of(), List.of(), model.config().maxLength(), "");
            List<String> words = List.of(sentence.trim().split("\\s+"));
            int[] src = d.encode(words);
            out.println("wait-" + lagName(k) + ", " + words.size() + " source words:");
            SimulDecoding.Result r = SimulDecoding.waitK(model, manager, src, k, tok.eosId(), tok.eosId(),
                    2 * src.length + 8, act -> out.println((act.read() ? "  READ  " : "  WRITE ")
                            + tok.vocabulary().token(act.token())));
            List<String> translation = new ArrayList<>();
            for (int id : r.target()) {
                translation.add(tok.vocabulary().token(id));
            }
            report(translation, r.delays(), r.sourceLength(), reference, out);
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("--checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The end of {@code translate}: the translation, its BLEU against the reference when there is one,
     * and its Average Lagging, γ = |y|/|x| with |y| the reference's length (SimulEval's default) or,
     * without a reference, the translation's (SimulEval's fallback). An empty translation has no AL.
     */
    static void report(List<String> translation, long[] delays, int sourceLength, List<String> reference,
            PrintStream out) {
        out.println("translation: " + String.join(" ", translation)
                + (translation.isEmpty() ? "(empty: the model wrote the end token first)" : ""));
        if (reference != null) {
            out.println(String.format(Locale.ROOT, "BLEU against --reference: %.2f (sacreBLEU's corpus BLEU on this "
                    + "one sentence, tokenize=none, no smoothing)", Bleu.corpus(List.of(translation),
                            List.of(reference)).score()));
        }
        if (translation.isEmpty()) {
            out.println("average lagging: undefined for an empty translation (SimulEval leaves such sentences out)");
            return;
        }
        int y = reference != null ? reference.size() : translation.size();
        double al = Latency.averageLagging(delays, sourceLength, y);
        out.println(String.format(Locale.ROOT, "average lagging: %.2f source words (γ = |y|/|x| = %d/%d, |y| %s)", al,
                y, sourceLength, reference != null ? "the reference's length"
                        : "the translation's length: no --reference, whose length SimulEval uses by default"));
    }

    static int experiment(String[] args, PrintStream out) {
        Set<String> options = new HashSet<>(OPTIONS);
        options.addAll(List.of("attentions", "lags"));
        options.remove("attention");
        options.remove("wait-k");
        Args a = Args.parse("simul-experiment", args, 1, options, Set.of("quiet"));
        Path dir = a.path("out", null);
        if (dir == null) {
            throw new IllegalArgumentException("simul-experiment: expected --out DIR, found none");
        }
        List<String> kinds = List.of(a.string("attentions", "leap,relu,softmax").split(","));
        List<String> lags = List.of(a.string("lags", "1,3,5,inf").split(","));
        for (String kind : kinds) {
            if (!List.of("leap", "relu", "softmax").contains(kind)) {
                throw new IllegalArgumentException("--attentions: expected leap, relu or softmax, found '" + kind
                        + "'" + (kind.equals("cosformer") ? " (cosFormer needs the final lengths, which a stream "
                                + "does not know)" : ""));
            }
        }
        lags.forEach(Simul::lag);
        List<Run> runs = new ArrayList<>();
        for (String kind : kinds) {
            for (String lag : lags) {
                List<String> runArgs = new ArrayList<>(List.of("train", "--task", "simul", "--attention", kind,
                        "--wait-k", lag, "--out", dir.resolve(kind + "-wait" + lag).toString()));
                a.asMap().forEach((key, v) -> {
                    if (!Set.of("out", "attentions", "lags", "quiet").contains(key)) {
                        runArgs.add("--" + key);
                        runArgs.add(v);
                    }
                });
                out.println("simul-experiment: " + kind + " wait-" + lag);
                Args ra = Args.parse("train", runArgs.toArray(new String[0]), 1, OPTIONS, Set.of());
                Run r = run(ra, out, !a.flag("quiet"));
                out.println(String.format(Locale.ROOT, "  BLEU %.2f, exact match %.3f, AL %.2f", r.scores.bleu,
                        r.scores.accuracy, r.scores.averageLagging));
                runs.add(r);
            }
        }
        String table = table(runs, a);
        AtomicFiles.write(dir.resolve("results.md"), w -> w.write(table));
        AtomicFiles.write(dir.resolve("results.svg"), w -> w.write(svg(runs)));
        out.println(table);
        out.println("simul-experiment: wrote " + dir.resolve("results.md") + " and " + dir.resolve("results.svg"));
        return 0;
    }

    static String table(List<Run> runs, Args a) {
        StringBuilder s = new StringBuilder("| attention | wait-k | test BLEU | test exact match | test AL | parameters "
                + "| seconds |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.3f | %.2f | %,d | %.0f |\n", r.kind,
                    lagName(r.k), r.scores.bleu, r.scores.accuracy, r.scores.averageLagging, r.parameters,
                    r.result.seconds()));
        }
        s.append("\nSteps ").append(a.string("steps", "300")).append(", model seed ").append(a.string("seed", "42"))
                .append(", data seed ").append(a.string("data-seed", "42"))
                .append(a.has("source") || a.has("target") ? "" : ", synthetic pair " + a.string("pair", "default"))
                .append("; scores on the first ")
                .append(runs.isEmpty() ? 0 : runs.get(0).scores.sentences)
                .append(" test sentences, greedy streaming decoding under the trained k, of each run's checkpoint "
                        + "chosen on validation loss")
                .append(runs.isEmpty() ? "" : " (" + runs.get(0).splits + ")").append(".\n");
        return s.toString();
    }

    /** BLEU against Average Lagging, one line per attention (its k from small to large). */
    static String svg(List<Run> runs) {
        int w = 640;
        int h = 420;
        int l = 70;
        int r = 150;
        int t = 40;
        int b = 60;
        double maxAl = 1;
        double maxBleu = 1;
        for (Run run : runs) {
            maxAl = Math.max(maxAl, run.scores.averageLagging);
            maxBleu = Math.max(maxBleu, run.scores.bleu);
        }
        maxAl = Math.ceil(maxAl * 1.1);
        maxBleu = Math.min(100, Math.ceil(maxBleu * 1.1 / 10) * 10);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">Quality against latency "
                + "(wait-k, greedy streaming)</text>\n", l));
        int pw = w - l - r;
        int ph = h - t - b;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#888\"/>\n", l, t, pw, ph));
        for (int i = 0; i <= 5; i++) {
            double al = maxAl * i / 5;
            double bl = maxBleu * i / 5;
            int x = l + pw * i / 5;
            int y = t + ph - ph * i / 5;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1f</text>\n", x,
                    t + ph + 18, al));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>\n", l - 6,
                    y + 4, bl));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">Average Lagging "
                + "(source words)</text>\n", l + pw / 2, h - 18));
        s.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" transform=\"rotate(-90 18 %d)\" "
                + "text-anchor=\"middle\">BLEU</text>\n", t + ph / 2, t + ph / 2));
        Map<String, List<Run>> byKind = new LinkedHashMap<>();
        runs.forEach(run -> byKind.computeIfAbsent(run.kind, x -> new ArrayList<>()).add(run));
        String[] colours = {"#4C72B0", "#55A868", "#C44E52", "#8172B3"};
        int c = 0;
        for (Map.Entry<String, List<Run>> e : byKind.entrySet()) {
            String colour = colours[c % colours.length];
            StringBuilder pts = new StringBuilder();
            for (Run run : e.getValue()) {
                double x = l + pw * run.scores.averageLagging / maxAl;
                double y = t + ph - ph * run.scores.bleu / maxBleu;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>"
                        + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">k=%s</text>\n", x, y, colour, x + 5, y - 5,
                        lagName(run.k)));
            }
            s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" "
                    + "stroke-width=\"2\"/>\n", pts.toString().trim(), colour));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>\n", w - r + 16, t + 20 * c, colour, w - r + 34, t + 20 * c + 11,
                    e.getKey()));
            c++;
        }
        return s.append("</svg>\n").toString();
    }
}
