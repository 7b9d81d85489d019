package org.leapformer.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.leapformer.LeapEngine;
import org.leapformer.data.AtomicFiles;
import org.leapformer.data.Tokenizer;
import org.leapformer.eval.Extrapolation;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.Positions;
import org.leapformer.model.Sampling;
import org.leapformer.nn.AttentionKind;
import org.leapformer.train.Checkpoint;
import org.leapformer.train.ConsoleProgress;
import org.leapformer.train.Schedule;
import org.leapformer.train.Task;
import org.leapformer.train.Tasks;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingConfig;
import org.leapformer.train.TrainingListener;
import org.leapformer.train.TrainingResult;

/** The train, eval and generate commands. */
final class Training {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

    static final Set<String> TRAIN_OPTIONS = new HashSet<>(List.of("out", "attention", "layers", "heads", "d-model",
            "head-dim", "ffn", "dropout", "leap-hidden", "clamp", "chunk", "steps", "lr", "warmup", "schedule", "clip",
            "weight-decay", "eval-every", "patience", "device", "positions", "seed"));

    static {
        TRAIN_OPTIONS.addAll(TaskData.OPTIONS);
    }

    private Training() {}

    /** What a finished run reports. */
    record Outcome(Path dir, TrainingResult result, List<TrainingListener.Evaluation> evaluations,
            Map<String, Double> lastEvaluation, double seconds, long parameters, TaskData.Splits splits) {}

    static int train(String[] args, PrintStream out) {
        Args a = Args.parse("train", args, 1, TRAIN_OPTIONS, Set.of("resume", "quiet"));
        Outcome o = run(a, out, !a.flag("quiet"));
        if (o.result.reason() == TrainingResult.StopReason.DIVERGED) {
            out.println("error: " + o.result.divergence().message() + "; outputs in " + o.dir);
            return 1;
        }
        out.println(String.format(Locale.ROOT, "%s after %d steps in %.1f s: %s; outputs in %s", o.result.reason(),
                o.result.steps(), o.seconds, reported(o.result, o.lastEvaluation), o.dir));
        return 0;
    }

    /**
     * What a run reports: the test metrics of the chosen model and how it was chosen, or the last
     * validation metrics when there are no test metrics (an interrupted or already finished run).
     */
    static String reported(TrainingResult r, Map<String, Double> lastEvaluation) {
        if (r.test().isEmpty()) {
            return "no test evaluation in this call (an interrupted run, or one already finished, whose summary.json "
                    + "has its test metrics); last validation "
                    + MetricsFiles.json(lastEvaluation);
        }
        String chosen = r.selectedOn().equals(TrainingResult.VALIDATION)
                ? "the model of step " + r.bestStep() + ", chosen on validation " + MetricsFiles.json(r.validation())
                : "the model of the last step (no validation ran)";
        return "test " + MetricsFiles.json(r.test()) + " (" + chosen + "; seed " + r.seed() + ", data seed "
                + r.dataSeed() + ")";
    }

    /** Trains as the options say and writes the run folder. */
    static Outcome run(Args a, PrintStream console, boolean progress) {
        return run(a, console, progress, null);
    }

    /** As {@link #run(Args, PrintStream, boolean)}, with {@code extra} (when not null) listening to the trainer. */
    static Outcome run(Args a, PrintStream console, boolean progress, TrainingListener extra) {
        Path dir = a.path("out", null);
        if (dir == null) {
            throw new IllegalArgumentException("train: expected --out DIR (metrics and checkpoints go there), found none");
        }
        TaskData data = TaskData.prepare(a);
        ModelConfig mc = modelConfig(a, data);
        TrainingConfig tc = trainingConfig(a, data, dir.resolve("checkpoints"));
        Device device = tc.resolveDevices()[0];
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot create " + dir, e);
        }
        Path latest = tc.checkpointDir().resolve("latest.ckpt");
        boolean resume = a.flag("resume") && Files.isRegularFile(latest);
        if (a.flag("resume") && !resume) {
            console.println("--resume: no checkpoint at " + latest + "; starting a new run");
        }
        writeRun(dir, a, data, mc, tc);
        if (data.tokenizer() != null) {
            data.tokenizer().vocabulary().save(dir.resolve("vocabulary.txt"));
        }
        LeapEngine.engine().setRandomSeed((int) tc.seed());
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            Trainer trainer;
            if (resume) {
                trainer = Trainer.resume(latest, manager, tc);
                console.println("resuming " + latest + " at step " + trainer.step());
            } else {
                trainer = new Trainer(newTask(data, mc, manager, tc.seed()), tc);
            }
            boolean finished = resume && trainer.step() >= tc.steps() && Files.isRegularFile(dir.resolve("summary.json"));
            if (finished) {
                console.println("the run in " + dir + " is already finished (step " + trainer.step() + " of "
                        + tc.steps() + "); its files are left as they are (raise --steps to train on)");
            }
            try (trainer; MetricsFiles metrics = new MetricsFiles(dir, resume ? trainer.step() : -1)) {
                trainer.addListener(metrics);
                if (progress) {
                    trainer.addListener(new ConsoleProgress(data.task() + " " + mc.kind(), console));
                }
                if (extra != null) {
                    trainer.addListener(extra);
                }
                // the checkpoint is chosen on validation; the chosen model is evaluated once on test
                TrainingResult r = trainer.fit(data.train(), data.valid(), finished ? null : data.test());
                long params = parameterCount(trainer.task().block());
                if (!finished) {
                    writeSummary(dir, r, metrics, params, data.splits(), tc);
                }
                return new Outcome(dir, r, metrics.evaluations(), metrics.lastEvaluation(), r.seconds(), params,
                        data.splits());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + latest + ": " + e.getMessage(), e);
        }
    }

    /**
     * The new, initialised model train builds for this data: a classifier for ListOps, a language
     * model otherwise (whose checkpoints carry the tokenizer), initialised from {@code seed} by
     * parameter path.
     */
    static Task newTask(TaskData data, ModelConfig mc, NDManager manager, long seed) {
        boolean listops = data.task().equals(TaskData.LISTOPS);
        return Tasks.create(listops ? Tasks.CLASSIFIER : Tasks.LANGUAGE_MODEL, mc, manager, DataType.FLOAT32,
                data.tokenizer(), seed);
    }

    /** Number of parameter values of a model. */
    static long parameterCount(Block model) {
        return model.getParameters().stream().mapToLong(p -> p.getValue().getArray().size()).sum();
    }

    static ModelConfig modelConfig(Args a, TaskData data) {
        String kind = a.choice("attention", "leap", "leap", "cosformer", "softmax", "relu");
        AttentionKind k = switch (kind) {
            case "leap" -> AttentionKind.LEAP;
            case "cosformer" -> AttentionKind.COSFORMER;
            case "softmax" -> AttentionKind.SOFTMAX;
            default -> AttentionKind.RELU_LINEAR;
        };
        ModelConfig.Builder b = ModelConfig.builder().optKind(k).setVocabSize(data.vocabSize())
                .setMaxLength(data.length()).optLayers(a.positiveInt("layers", 2)).optHeads(a.positiveInt("heads", 2))
                .optDModel(a.positiveInt("d-model", 64)).optHeadDim(a.positiveInt("head-dim", 32))
                .optFfnDim(a.positiveInt("ffn", 128)).optDropout(a.number("dropout", 0.1, 0, 0.9))
                .optChunkSize(a.positiveInt("chunk", 64)).optNumClasses(data.numClasses());
        if (a.has("positions")) {
            b.optPositions(Positions.valueOf(a.choice("positions", "learned", "learned", "sinusoidal", "none")
                    .toUpperCase(Locale.ROOT)));
        }
        if (a.has("leap-hidden")) {
            b.optLeapHidden(a.positiveInt("leap-hidden", 8));
        }
        String clamp = a.string("clamp", "0.1");
        b.optClamp(clamp.equalsIgnoreCase("none") ? null : a.number("clamp", 0.1, 0, 1e6));
        return b.build();
    }

    static TrainingConfig trainingConfig(Args a, TaskData data, Path checkpoints) {
        long steps = a.positiveLong("steps", 300);
        String schedule = a.choice("schedule", "cosine", "cosine", "linear", "constant");
        TrainingConfig.Builder b = TrainingConfig.builder().setSteps(steps)
                .optLearningRate(a.number("lr", 1e-3, 1e-8, 10))
                .optWarmupSteps(a.nonNegativeLong("warmup", Math.min(100, steps / 10)))
                .optSchedule(Schedule.valueOf(schedule.toUpperCase(Locale.ROOT)))
                .optClipNorm(a.number("clip", 1.0, 0, 1e9))
                .optWeightDecay(a.number("weight-decay", 0.01, 0, 1))
                .optEvalEvery(a.positiveLong("eval-every", Math.max(1, steps / 5)))
                .optSeed(a.nonNegativeLong("seed", TaskData.DEFAULT_SEED))
                .optDataSeed(data.dataSeed())
                .optDevices(a.choice("device", "cpu", "cpu", "gpu", "auto"))
                .optCheckpointDir(checkpoints)
                .optMonitor(data.monitor(), data.monitor().equals("accuracy"));
        if (a.has("patience")) {
            b.optEarlyStopping(a.positiveInt("patience", 3), 0);
        }
        return b.build();
    }

    private static void writeRun(Path dir, Args a, TaskData data, ModelConfig mc, TrainingConfig tc) {
        JsonObject run = new JsonObject();
        run.addProperty("task", data.task());
        run.addProperty("data", data.description());
        if (data.tokenizerKind() != null) {
            run.addProperty("tokenizer", data.tokenizerKind());
        }
        run.addProperty("seed", tc.seed());
        run.addProperty("dataSeed", tc.dataSeed());
        run.add("splits", data.splits().toJson());
        run.add("options", GSON.toJsonTree(a.asMap()));
        run.add("model", mc.toJson());
        run.add("training", tc.toJson());
        run.addProperty("engine", LeapEngine.ensureInitialized());
        AtomicFiles.write(dir.resolve("run.json"), out -> out.write(GSON.toJson(run) + "\n"));
    }

    /**
     * summary.json from the whole run's history (also the segments before a resume); values that
     * are not finite are written as null, since JSON has no NaN or Infinity.
     */
    static void writeSummary(Path dir, TrainingResult r, MetricsFiles metrics, long params) {
        writeSummary(dir, r, metrics, params, null, null);
    }

    /**
     * summary.json as {@link #writeSummary(Path, TrainingResult, MetricsFiles, long)}, with the
     * seeds, the sets' sizes, how the model was chosen and its validation and test metrics.
     *
     * @param splits the sets' sizes in the data's unit, or null to write the result's (in examples)
     * @param tc the run's training configuration (its monitored metric), or null
     */
    static void writeSummary(Path dir, TrainingResult r, MetricsFiles metrics, long params, TaskData.Splits splits,
            TrainingConfig tc) {
        JsonObject s = new JsonObject();
        s.addProperty("seed", r.seed());
        s.addProperty("dataSeed", r.dataSeed());
        s.add("splits", (splits != null ? splits : new TaskData.Splits("examples", r.splits().train(),
                r.splits().validation(), r.splits().test())).toJson());
        s.addProperty("selectedOn", r.selectedOn());
        if (tc != null) {
            s.addProperty("monitor", tc.monitor());
        }
        s.add("validation", metricsJson(r.validation()));
        s.add("test", metricsJson(r.test()));
        s.addProperty("steps", r.steps());
        s.addProperty("stop", r.reason().name());
        s.add("seconds", number(r.seconds()));
        s.addProperty("parameters", params);
        s.add("lastLoss", number(metrics.lastLoss()));
        s.add("best", number(r.best()));
        s.addProperty("bestStep", r.bestStep());
        s.add("lastEvaluation", metricsJson(metrics.lastEvaluation()));
        if (r.divergence() != null) {
            JsonObject d = new JsonObject();
            d.addProperty("step", r.divergence().step());
            d.add("loss", number(r.divergence().loss()));
            d.add("gradNorm", number(r.divergence().gradNorm()));
            d.add("learningRate", number(r.divergence().learningRate()));
            d.addProperty("message", r.divergence().message());
            s.add("divergence", d);
        }
        AtomicFiles.write(dir.resolve("summary.json"), out -> out.write(GSON.toJson(s) + "\n"));
    }

    private static JsonObject metricsJson(Map<String, Double> m) {
        JsonObject o = new JsonObject();
        m.forEach((k, v) -> o.add(k, number(v)));
        return o;
    }

    private static JsonElement number(double v) {
        return org.leapformer.model.Json.number(v);
    }

    static int eval(String[] args, PrintStream out) {
        Set<String> options = new HashSet<>(TaskData.OPTIONS);
        options.add("checkpoint");
        options.add("split");
        options.add("lengths");
        Args a = Args.parse("eval", args, 1, options, Set.of());
        int[] lengths = a.has("lengths") ? multiples(a.string("lengths", null)) : null;
        // past the training window: the test split unless told otherwise
        String split = a.choice("split", lengths != null ? "test" : "validation", "validation", "test");
        Path file = a.path("checkpoint", null);
        if (file == null) {
            throw new IllegalArgumentException("eval: expected --checkpoint FILE, found none");
        }
        requireCheckpointFile("eval", file);
        Args data = withRunOptions(a, file);
        TaskData d = TaskData.prepare(data);
        try (NDManager manager = LeapEngine.newManager()) {
            Checkpoint ck = Checkpoint.read(file);
            Task task = ck.newTask(manager);
            if (lengths != null) {
                return extrapolate(manager, file, ck, task, d, split, lengths, out);
            }
            // the device the model was loaded on (the engine's default, a GPU where there is one)
            Device on = manager.getDevice();
            String devices = on.isGpu() ? "gpu" + on.getDeviceId() : "cpu";
            try (Trainer t = new Trainer(task, ck.trainingConfig().toBuilder().optDevices(devices).optCheckpointDir(null)
                    .build())) {
                Map<String, Double> m = t.evaluate(split.equals("test") ? d.test() : d.valid());
                out.println(MetricsFiles.json(m));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("eval: could not read " + file, e);
        }
        return 0;
    }

    /** {@code --lengths 1,4,16}: distinct positive multiples of the training window. */
    private static int[] multiples(String list) {
        String[] parts = list.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                out[i] = 0;
            }
            if (out[i] < 1) {
                throw new IllegalArgumentException("eval --lengths: expected positive multiples of the training "
                        + "window separated by commas (e.g. 1,4,16), found '" + list + "'");
            }
        }
        return out;
    }

    /**
     * {@code eval --lengths}: a language model's loss at multiples of its training window on a
     * split's text, printed as a table and written to RUN/extrapolation.json.
     */
    private static int extrapolate(NDManager manager, Path file, Checkpoint ck, Task task, TaskData d, String split, int[] lengths,
            PrintStream out) {
        if (!Tasks.LANGUAGE_MODEL.equals(ck.modelType()) || d.testTokens() == null) {
            throw new IllegalArgumentException("eval --lengths: expected a language-model checkpoint trained on a "
                    + "text (train --task lm), found a " + ck.modelType() + " checkpoint in " + file);
        }
        DecoderLM lm = (DecoderLM) task.block();
        int[] ids = split.equals("test") ? d.testTokens() : d.validTokens();
        Extrapolation.Report r = Extrapolation.builder().optMultiples(lengths).build().evaluate(manager, lm, ids);
        out.println("extrapolation of " + file + " (" + ck.progress().step() + " steps) on the " + split + " text, "
                + ids.length + " tokens; training window T = " + r.trainingLength() + ", nats per token:");
        out.print(r.table());
        JsonObject o = new JsonObject();
        o.addProperty("checkpoint", file.toString());
        o.addProperty("split", split);
        o.addProperty("data", d.description());
        o.add("extrapolation", r.toJson());
        Path json = runDir(file).resolve("extrapolation.json");
        AtomicFiles.write(json, w -> w.write(GSON.toJson(o) + "\n"));
        out.println("wrote " + json);
        return 0;
    }

    static int generate(String[] args, PrintStream out) {
        Args a = Args.parse("generate", args, 1, Set.of("checkpoint", "prompt", "tokens", "temperature", "top-k",
                "top-p", "seed"), Set.of("greedy"));
        Path file = a.path("checkpoint", null);
        if (file == null) {
            throw new IllegalArgumentException("generate: expected --checkpoint FILE, found none");
        }
        requireCheckpointFile("generate", file);
        Sampling sampling = a.flag("greedy") ? Sampling.greedyDecoding()
                : Sampling.sample(a.number("temperature", 0.8, 1e-3, 100), a.positiveInt("top-k", 20),
                        a.number("top-p", 1.0, 1e-6, 1.0), a.nonNegativeLong("seed", 1));
        try (NDManager manager = LeapEngine.newManager()) {
            Checkpoint ck = Checkpoint.read(file);
            if (!Tasks.LANGUAGE_MODEL.equals(ck.modelType())) {
                throw new IllegalArgumentException("generate: expected a language-model checkpoint, found a "
                        + ck.modelType() + " checkpoint in " + file);
            }
            Tokenizer tok = ck.tokenizer();
            if (tok == null) { // written before checkpoints carried their tokenizer: the run folder's
                Path runDir = runDir(file);
                JsonObject run = readRun(runDir);
                tok = TaskData.loadTokenizer(runDir.resolve("vocabulary.txt"), run.get("tokenizer").getAsString());
            }
            String prompt = a.string("prompt", "\n");
            int[] ids = tok.encode(prompt);
            if (ids.length == 0) {
                throw new IllegalArgumentException("generate --prompt: expected text the vocabulary knows, found '"
                        + prompt + "'");
            }
            DecoderLM lm = (DecoderLM) ck.newTask(manager).block();
            long limit = lm.config().lengthLimit(); // learned positions and cosFormer end at maxLength
            if (ids.length >= limit) {
                throw new IllegalArgumentException("generate --prompt: expected fewer than " + limit
                        + " tokens (the model's length), found " + ids.length);
            }
            int fallback = (int) Math.min(lm.config().maxLength(), limit - ids.length);
            int tokens = a.positiveInt("tokens", fallback);
            if (ids.length + (long) tokens > limit) {
                throw new IllegalArgumentException("generate --tokens: expected at most " + (limit - ids.length)
                        + " after a prompt of " + ids.length + " tokens (the model's positions end at " + limit
                        + "), found " + tokens);
            }
            int[] continuation = lm.generate(manager, ids, tokens, sampling);
            out.println(tok.decode(ids) + tok.decode(continuation));
        } catch (IOException e) {
            throw new UncheckedIOException("generate: could not read " + file, e);
        }
        return 0;
    }

    /** Refuses a checkpoint path with no file, listing the checkpoints that are there. */
    static void requireCheckpointFile(String command, Path file) {
        if (Files.isRegularFile(file)) {
            return;
        }
        Path dir = file.toAbsolutePath().getParent();
        List<String> there = new ArrayList<>();
        if (dir != null && Files.isDirectory(dir)) {
            try (var files = Files.newDirectoryStream(dir, "*.ckpt")) {
                files.forEach(f -> there.add(f.getFileName().toString()));
            } catch (IOException e) {
                // the listing is only a hint
            }
        }
        java.util.Collections.sort(there);
        throw new IllegalArgumentException(command + " --checkpoint: expected a checkpoint file, found "
                + (Files.isDirectory(file) ? "a directory" : "no file") + " at " + file
                + (there.isEmpty() ? "" : "; " + dir + " has " + String.join(", ", there)));
    }

    /** The run folder of a checkpoint (RUN/checkpoints/x.ckpt). */
    static Path runDir(Path checkpoint) {
        Path parent = checkpoint.toAbsolutePath().getParent();
        return parent.getFileName().toString().equals("checkpoints") ? parent.getParent() : parent;
    }

    static JsonObject readRun(Path runDir) {
        Path file = runDir.resolve("run.json");
        try {
            return com.google.gson.JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("expected the run record " + file + " written by train, could not read it: "
                    + e.getMessage(), e);
        }
    }

    /** The data options recorded with the run, overridden by any given now. */
    private static Args withRunOptions(Args given, Path checkpoint) {
        JsonObject run = readRun(runDir(checkpoint));
        if (!run.has("dataSeed")) {
            throw new IllegalArgumentException("eval: expected a run whose run.json records its data seed "
                    + "('dataSeed'), found none in " + runDir(checkpoint).resolve("run.json") + ": it was trained "
                    + "before data and model seeds were separate, and its validation and test sets cannot be rebuilt");
        }
        JsonObject options = run.getAsJsonObject("options");
        List<String> merged = new ArrayList<>();
        merged.add("eval");
        for (String name : TaskData.OPTIONS) {
            String v = given.has(name) ? given.string(name, null)
                    : options.has(name) ? options.get(name).getAsString()
                    : name.equals("data-seed") ? run.get("dataSeed").getAsString() : null;
            if (v != null) {
                merged.add("--" + name);
                merged.add(v);
            }
        }
        return Args.parse("eval", merged.toArray(new String[0]), 1, new HashSet<>(TaskData.OPTIONS), Set.of());
    }
}
