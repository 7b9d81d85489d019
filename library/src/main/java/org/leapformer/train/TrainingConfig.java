package org.leapformer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.leapformer.LeapEngine;
import org.leapformer.model.Json;
import org.leapformer.ops.Checks;

/**
 * How a model is trained. Build with {@link #builder()}; every default has a one-line reason.
 *
 * @param steps optimizer steps of the whole run
 * @param learningRate peak learning rate
 * @param minLearningRate learning rate at the last step
 * @param warmupSteps steps of linear warm-up
 * @param schedule decay after warm-up
 * @param weightDecay AdamW decoupled weight decay (weights only, not biases or norms)
 * @param beta1 AdamW β1
 * @param beta2 AdamW β2
 * @param epsilon AdamW ε
 * @param clipNorm global gradient norm limit (0 = no clipping)
 * @param evalEvery evaluate (and write the latest checkpoint) every k steps (0 = only at the end)
 * @param patience stop after this many evaluations without improvement (0 = never)
 * @param minDelta smallest change that counts as an improvement
 * @param monitor evaluation metric for early stopping and the best checkpoint
 * @param higherIsBetter whether a larger {@code monitor} is better
 * @param seed the model seed: initialisation (set by the caller before building the model), dropout and
 *     everything random in a step
 * @param dataSeed the data seed: generation, splits and the order of the batches (recorded here so a
 *     checkpoint names the data it was trained on; the data sources are built with it by the caller,
 *     e.g. {@link DataSources#listOps(java.util.List, int, int, long)})
 * @param devices "cpu", "gpu" (every GPU), "gpu0,gpu1", or "auto" (GPUs when present, else the CPU)
 * @param checkpointDir where best.ckpt and latest.ckpt go, or null for none
 */
public record TrainingConfig(long steps, double learningRate, double minLearningRate, long warmupSteps,
        Schedule schedule, double weightDecay, double beta1, double beta2, double epsilon, double clipNorm,
        long evalEvery, int patience, double minDelta, String monitor, boolean higherIsBetter, long seed,
        long dataSeed, String devices, Path checkpointDir) {

    static final int JSON_VERSION = 1;

    public TrainingConfig {
        Checks.require(steps > 0, "steps", "a positive number of optimizer steps", steps);
        Checks.require(learningRate > 0 && Double.isFinite(learningRate), "learning rate", "a finite rate > 0",
                learningRate);
        Checks.require(minLearningRate >= 0 && minLearningRate <= learningRate, "minimum learning rate",
                "a rate in [0, " + learningRate + "]", minLearningRate);
        Checks.require(warmupSteps >= 0 && warmupSteps <= steps, "warm-up steps", "a count in [0, " + steps + "]",
                warmupSteps);
        Checks.require(schedule != null, "schedule", "COSINE, LINEAR or CONSTANT", "null");
        Checks.require(weightDecay >= 0, "weight decay", "a value >= 0", weightDecay);
        Checks.require(beta1 >= 0 && beta1 < 1, "beta1", "a value in [0, 1)", beta1);
        Checks.require(beta2 >= 0 && beta2 < 1, "beta2", "a value in [0, 1)", beta2);
        Checks.require(epsilon > 0, "epsilon", "a value > 0", epsilon);
        Checks.require(clipNorm >= 0, "gradient clipping norm", "0 (off) or a positive norm", clipNorm);
        Checks.require(evalEvery >= 0, "evaluation interval", "0 (only at the end) or a positive step count",
                evalEvery);
        Checks.require(patience >= 0, "patience", "0 (no early stopping) or a positive number of evaluations",
                patience);
        Checks.require(minDelta >= 0, "minimum improvement", "a value >= 0", minDelta);
        Checks.require(monitor != null && !monitor.isBlank(), "monitored metric", "loss, accuracy or perplexity",
                monitor);
        Checks.require(devices != null && !devices.isBlank(), "devices", "cpu, gpu, gpuN[,gpuM...] or auto",
                devices);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to change a few fields. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.learningRate = learningRate;
        b.minLearningRate = minLearningRate;
        b.warmupSteps = warmupSteps;
        b.schedule = schedule;
        b.weightDecay = weightDecay;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.epsilon = epsilon;
        b.clipNorm = clipNorm;
        b.evalEvery = evalEvery;
        b.patience = patience;
        b.minDelta = minDelta;
        b.monitor = monitor;
        b.higherIsBetter = higherIsBetter;
        b.seed = seed;
        b.dataSeed = dataSeed;
        b.devices = devices;
        b.checkpointDir = checkpointDir;
        return b;
    }

    /** The learning rate of step t (0-based). */
    public double learningRate(long step) {
        return schedule.learningRate(step, steps, warmupSteps, learningRate, minLearningRate);
    }

    /**
     * The devices named by {@link #devices()}.
     *
     * @throws IllegalArgumentException for a GPU that is not present, naming the GPU count
     */
    public Device[] resolveDevices() {
        Engine engine = LeapEngine.engine();
        int gpus = engine.getGpuCount();
        String spec = devices.trim().toLowerCase(Locale.ROOT);
        List<Device> out = new ArrayList<>();
        switch (spec) {
            case "cpu" -> out.add(Device.cpu());
            case "auto" -> {
                if (gpus == 0) {
                    out.add(Device.cpu());
                }
                for (int i = 0; i < gpus; i++) {
                    out.add(Device.gpu(i));
                }
            }
            case "gpu" -> {
                Checks.require(gpus > 0, "devices", "a GPU for 'gpu' (this machine has 0 GPUs or a CPU build of "
                        + "libtorch; use -Pcuda)", spec);
                for (int i = 0; i < gpus; i++) {
                    out.add(Device.gpu(i));
                }
            }
            default -> {
                for (String part : spec.split(",")) {
                    String p = part.trim();
                    Checks.require(p.matches("gpu\\d+|cpu"), "device", "cpu or gpuN", p);
                    if (p.equals("cpu")) {
                        out.add(Device.cpu());
                    } else {
                        int id = Integer.parseInt(p.substring(3));
                        Checks.require(id < gpus, "device", "a GPU index below the GPU count " + gpus, p);
                        out.add(Device.gpu(id));
                    }
                }
            }
        }
        return out.toArray(new Device[0]);
    }

    /** This configuration as JSON (stored in checkpoints). */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("version", JSON_VERSION);
        o.addProperty("steps", steps);
        o.addProperty("learningRate", learningRate);
        o.addProperty("minLearningRate", minLearningRate);
        o.addProperty("warmupSteps", warmupSteps);
        o.addProperty("schedule", schedule.name());
        o.addProperty("weightDecay", weightDecay);
        o.addProperty("beta1", beta1);
        o.addProperty("beta2", beta2);
        o.addProperty("epsilon", epsilon);
        o.addProperty("clipNorm", clipNorm);
        o.addProperty("evalEvery", evalEvery);
        o.addProperty("patience", patience);
        o.addProperty("minDelta", minDelta);
        o.addProperty("monitor", monitor);
        o.addProperty("higherIsBetter", higherIsBetter);
        o.addProperty("seed", seed);
        o.addProperty("dataSeed", dataSeed);
        o.addProperty("devices", devices);
        o.addProperty("checkpointDir", checkpointDir == null ? null : checkpointDir.toString());
        return o;
    }

    /**
     * Reads {@link #toJson()}; messages name the missing or bad field. A configuration written before
     * the data seed was separate has none: its data came from {@code seed}, which is then returned as
     * the data seed too.
     */
    public static TrainingConfig fromJson(JsonObject o) {
        Json j = new Json("training config", o);
        int version = j.integer("version");
        Checks.require(version == JSON_VERSION, "training config version", JSON_VERSION, version);
        String dir = o.has("checkpointDir") && !o.get("checkpointDir").isJsonNull() ? j.string("checkpointDir") : null;
        return new TrainingConfig(j.longValue("steps"), j.real("learningRate"), j.real("minLearningRate"),
                j.longValue("warmupSteps"), j.enumValue("schedule", Schedule.class), j.real("weightDecay"),
                j.real("beta1"), j.real("beta2"), j.real("epsilon"), j.real("clipNorm"), j.longValue("evalEvery"),
                j.integer("patience"), j.real("minDelta"), j.string("monitor"), j.bool("higherIsBetter"),
                j.longValue("seed"), o.has("dataSeed") ? j.longValue("dataSeed") : j.longValue("seed"),
                j.string("devices"), dir == null ? null : Path.of(dir));
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private long steps = -1; // required
        private double learningRate = 1e-3; // small transformers on LRA
        private double minLearningRate = 0.0; // decay to zero
        private long warmupSteps = 0; // no warm-up unless asked
        private Schedule schedule = Schedule.COSINE; // smooth decay
        private double weightDecay = 0.01; // PyTorch AdamW default
        private double beta1 = 0.9; // PyTorch default
        private double beta2 = 0.999; // PyTorch default
        private double epsilon = 1e-8; // PyTorch default
        private double clipNorm = 1.0; // common for transformers
        private long evalEvery = 0; // only at the end
        private int patience = 0; // no early stopping
        private double minDelta = 0.0; // any improvement counts
        private String monitor = "loss"; // evaluation loss
        private boolean higherIsBetter = false; // lower loss is better
        private long seed = 42; // fixed: runs repeat exactly on the CPU
        private long dataSeed = 42; // fixed, and independent of the model seed
        private String devices = "cpu"; // CPU unless a GPU is asked for
        private Path checkpointDir = null; // no checkpoints

        private Builder() {}

        public Builder setSteps(long steps) {
            this.steps = steps;
            return this;
        }

        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        public Builder optMinLearningRate(double lr) {
            this.minLearningRate = lr;
            return this;
        }

        public Builder optWarmupSteps(long steps) {
            this.warmupSteps = steps;
            return this;
        }

        public Builder optSchedule(Schedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder optWeightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        public Builder optBetas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        public Builder optEpsilon(double epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        public Builder optClipNorm(double norm) {
            this.clipNorm = norm;
            return this;
        }

        public Builder optEvalEvery(long steps) {
            this.evalEvery = steps;
            return this;
        }

        public Builder optEarlyStopping(int patience, double minDelta) {
            this.patience = patience;
            this.minDelta = minDelta;
            return this;
        }

        public Builder optMonitor(String metric, boolean higherIsBetter) {
            this.monitor = metric;
            this.higherIsBetter = higherIsBetter;
            return this;
        }

        /** The model seed: initialisation, dropout and everything random in a step (not the data). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The data seed: generation, splits and batch order (see {@link TrainingConfig#dataSeed()}). */
        public Builder optDataSeed(long dataSeed) {
            this.dataSeed = dataSeed;
            return this;
        }

        public Builder optDevices(String devices) {
            this.devices = devices;
            return this;
        }

        public Builder optCheckpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(steps, learningRate, minLearningRate, warmupSteps, schedule, weightDecay, beta1,
                    beta2, epsilon, clipNorm, evalEvery, patience, minDelta, monitor, higherIsBetter, seed, dataSeed,
                    devices, checkpointDir);
        }
    }
}
