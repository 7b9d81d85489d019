package org.leapformer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.leapformer.LeapEngine;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Scalars;

/**
 * Trains a {@link Task} on DJL's training primitives: a {@link ParameterStore} that serves the
 * parameters to every device, a {@link GradientCollector} for the backward pass and a
 * {@link ParameterServer} that sums the devices' gradients. The update is this library's
 * {@link AdamW} after global-norm gradient clipping, because DJL's optimizers keep their moments
 * private and a checkpoint must store them for an exact resume.
 *
 * <p>Every step: libtorch is reseeded from (seed, step), the batch of that step is built on a
 * sub-manager, split over the devices, the gradients summed, clipped and applied; the
 * sub-manager is closed. So a run resumed from a checkpoint repeats the loss curve of an
 * uninterrupted one bit for bit on the CPU. An interrupt of the training thread stops after the
 * step in progress; the model stays usable and the interrupt flag is set again on return.
 */
public final class Trainer implements AutoCloseable {

    private final Task task;
    private final TrainingConfig config;
    private final Device[] devices;
    private final Engine engine;
    private final NDManager manager;
    private final GradientSync sync = new GradientSync();
    private final ParameterStore store;
    private final AdamW optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final List<Pair<String, Parameter>> parameters;
    private long step;
    private double best = Double.NaN;
    private long bestStep = -1;
    private int badEvaluations;
    /** Training time of the segments before the current {@link #fit} call. */
    private double seconds;
    /** System.nanoTime() at the start of the running fit call, or −1. */
    private long segmentStart = -1;
    private TrainingResult.Divergence divergence;
    /** Validation metrics at {@link #bestStep} (empty when unknown, e.g. after a resume). */
    private Map<String, Double> bestMetrics = Map.of();
    /**
     * The parameters at {@link #bestStep}, in {@link #parameters} order, kept in memory when there is
     * no checkpoint folder (else best.ckpt holds them); owned by {@link #manager}.
     */
    private List<NDArray> bestSnapshot;
    /** Runs between each forward and backward pass (tests force a garbage collection here). */
    Runnable beforeBackward = () -> {};

    /**
     * @param task an initialised model and its loss; its parameters must be on the first device
     *     of {@code config.devices()}
     * @throws IllegalArgumentException when the devices are not present or the parameters live
     *     elsewhere
     */
    public Trainer(Task task, TrainingConfig config) {
        this.task = task;
        this.config = config;
        this.engine = LeapEngine.engine();
        this.devices = config.resolveDevices();
        this.parameters = new ArrayList<>();
        for (Pair<String, Parameter> p : task.block().getParameters()) {
            Checks.require(p.getValue().isInitialized(), "parameter " + p.getKey(), "initialised (initialize the "
                    + "model first)", "not initialised");
            Device d = p.getValue().getArray().getDevice();
            Checks.require(d.equals(devices[0]), "device of parameter " + p.getKey(), devices[0]
                    + " (the first training device; initialise the model on a manager of it)", d);
            parameters.add(p);
        }
        NDManager owner = parameters.get(0).getValue().getArray().getManager();
        this.manager = owner.newSubManager();
        this.store = new ParameterStore(manager, false);
        store.setParameterServer(sync, devices);
        this.optimizer = new AdamW(manager, config.beta1(), config.beta2(), config.epsilon(), config.weightDecay());
    }

    /**
     * Continues from a checkpoint: a new model of the checkpoint's configuration with its
     * parameters, optimizer state and progress (the "new process" case).
     *
     * @param manager where the model's parameters go (on the first training device)
     * @param config the training configuration, or null for the checkpoint's own
     * @throws IllegalArgumentException when {@code config} has another data seed than the checkpoint
     */
    public static Trainer resume(Path file, NDManager manager, TrainingConfig config) throws IOException {
        Checkpoint ck = Checkpoint.read(file);
        if (config != null && config.dataSeed() != ck.trainingConfig().dataSeed()) {
            throw new IllegalArgumentException("resume from " + file + ": expected the checkpoint's data seed "
                    + ck.trainingConfig().dataSeed() + " (a resumed run must see the data it started with), found "
                    + config.dataSeed() + " in the given configuration");
        }
        Task task = ck.newTask(manager);
        Trainer t = new Trainer(task, config != null ? config : ck.trainingConfig());
        t.restore(ck);
        return t;
    }

    /**
     * Loads a checkpoint's parameters, optimizer state and progress into this trainer's model.
     *
     * @throws IllegalArgumentException when the checkpoint belongs to a model of another shape
     */
    public void restore(Checkpoint ck) {
        ck.loadParameters(task.block());
        ck.loadOptimizer(optimizer, task.block());
        Checkpoint.Progress p = ck.progress();
        step = p.step();
        best = p.best();
        bestStep = p.bestStep();
        badEvaluations = p.badEvaluations();
        seconds = p.seconds();
        bestMetrics = Map.of();
        dropSnapshot();
    }

    /** Adds a listener (once: adding the same one again does nothing). */
    public Trainer addListener(TrainingListener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("listener: expected a TrainingListener, found null");
        }
        if (!listeners.contains(listener)) {
            listeners.add(listener);
        }
        return this;
    }

    /** Removes a listener added before; true when it was there. */
    public boolean removeListener(TrainingListener listener) {
        return listeners.remove(listener);
    }

    public Task task() {
        return task;
    }

    public TrainingConfig config() {
        return config;
    }

    /** Optimizer steps done. */
    public long step() {
        return step;
    }

    /** The devices the batch is split over. */
    public Device[] devices() {
        return devices.clone();
    }

    /**
     * Trains from the current step to {@code config.steps()}, evaluating every
     * {@code evalEvery} steps and at the end, writing latest.ckpt after each evaluation and
     * best.ckpt on improvement (when a checkpoint folder is configured). No test set: see
     * {@link #fit(BatchSource, EvalSource, EvalSource)}.
     *
     * @param eval validation batches, or null for none (then no early stopping)
     */
    public TrainingResult fit(BatchSource train, EvalSource eval) {
        return fit(train, eval, null);
    }

    /**
     * Trains as {@link #fit(BatchSource, EvalSource)}: the best checkpoint and early stopping are
     * chosen on {@code eval} (validation) only. When the run completes or stops early, the chosen
     * model (the best validation evaluation; the last step's model when none ran) is evaluated once
     * on {@code test}: {@link TrainingResult#test()}. The model then holds the last step's
     * parameters again, so training can continue. Without a checkpoint folder the best parameters
     * are kept in memory (one copy of the model's parameters); with one, best.ckpt holds them.
     *
     * @param eval validation batches, or null for none (then no early stopping)
     * @param test test batches, or null for none
     */
    public TrainingResult fit(BatchSource train, EvalSource eval, EvalSource test) {
        for (TrainingListener l : listeners) {
            l.onStart(step, config.steps());
        }
        segmentStart = System.nanoTime();
        long startStep = step;
        TrainingResult.StopReason reason = TrainingResult.StopReason.COMPLETED;
        boolean interrupted = false;
        double lastLoss = Double.NaN;
        Map<String, Double> lastEval = Map.of();
        long lastEvalStep = -1;
        divergence = null;
        while (step < config.steps()) {
            if (Thread.interrupted()) {
                interrupted = true;
                reason = TrainingResult.StopReason.INTERRUPTED;
                break;
            }
            TrainingListener.Step s = trainStep(train);
            if (s == null) {
                reason = TrainingResult.StopReason.DIVERGED;
                break;
            }
            lastLoss = s.loss();
            boolean stop = false;
            for (TrainingListener l : listeners) {
                l.onStep(s);
                stop |= l.stopRequested();
            }
            if (Thread.interrupted()) {
                interrupted = true;
                reason = TrainingResult.StopReason.INTERRUPTED;
                break;
            }
            if (stop) {
                reason = TrainingResult.StopReason.INTERRUPTED;
                break;
            }
            if (eval != null && config.evalEvery() > 0 && step % config.evalEvery() == 0) {
                lastEval = evaluateAndTrack(eval);
                lastEvalStep = step;
                if (config.patience() > 0 && badEvaluations >= config.patience()) {
                    reason = TrainingResult.StopReason.EARLY_STOPPED;
                    break;
                }
            }
        }
        // a diverged run keeps its last good checkpoint; a run already finished writes nothing
        if (reason != TrainingResult.StopReason.DIVERGED && step != startStep && lastEvalStep != step) {
            if (eval != null && reason == TrainingResult.StopReason.COMPLETED) {
                lastEval = evaluateAndTrack(eval);
            } else {
                writeCheckpoint("latest.ckpt");
            }
        }
        seconds = seconds();
        segmentStart = -1;
        Map<String, Double> validation = bestMetrics;
        Map<String, Double> tested = Map.of();
        if (test != null && (reason == TrainingResult.StopReason.COMPLETED
                || reason == TrainingResult.StopReason.EARLY_STOPPED)) {
            List<Map<String, Double>> chosen = withBestParameters(() -> {
                Map<String, Double> v = bestMetrics.isEmpty() && eval != null && bestStep >= 0 ? evaluate(eval)
                        : bestMetrics;
                return List.of(v, evaluate(test));
            });
            validation = chosen.get(0);
            tested = chosen.get(1);
        }
        TrainingResult.Splits splits = new TrainingResult.Splits(train.size(), eval == null ? 0 : eval.size(),
                test == null ? 0 : test.size());
        TrainingResult result = new TrainingResult(step, reason, best, bestStep, lastLoss, lastEval, seconds,
                divergence, config.seed(), config.dataSeed(), splits,
                bestStep >= 0 ? TrainingResult.VALIDATION : TrainingResult.LAST_STEP, validation, tested);
        for (TrainingListener l : listeners) {
            l.onEnd(result);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return result;
    }

    /** Training time of the whole run so far (every resumed segment), in seconds. */
    public double seconds() {
        return seconds + (segmentStart < 0 ? 0 : (System.nanoTime() - segmentStart) / 1e9);
    }

    /**
     * Evaluates, tells the listeners (a metrics file is then written up to this step), then writes
     * best.ckpt on improvement and latest.ckpt: so a checkpoint never runs ahead of the metrics.
     */
    private Map<String, Double> evaluateAndTrack(EvalSource eval) {
        Map<String, Double> m = evaluate(eval);
        Double value = m.get(config.monitor());
        Checks.require(value != null, "monitored metric", "one of " + m.keySet(), config.monitor());
        boolean improved = Double.isNaN(best)
                || (config.higherIsBetter() ? value > best + config.minDelta() : value < best - config.minDelta());
        if (improved) {
            best = value;
            bestStep = step;
            bestMetrics = m;
            badEvaluations = 0;
            if (config.checkpointDir() == null) {
                snapshotBest();
            }
        } else {
            badEvaluations++;
        }
        TrainingListener.Evaluation e = new TrainingListener.Evaluation(step, m, improved, best);
        for (TrainingListener l : listeners) {
            l.onEvaluation(e);
        }
        if (improved) {
            writeCheckpoint("best.ckpt");
        }
        writeCheckpoint("latest.ckpt");
        return m;
    }

    /**
     * Runs {@code action} with the model holding the chosen parameters: those of the best validation
     * evaluation ({@link #bestStep}; from memory, or from best.ckpt when there is a checkpoint
     * folder), or the current ones when no evaluation ran or the best is the current step. The
     * current parameters are put back afterwards, also when the action throws.
     *
     * @throws IllegalStateException when the best parameters are neither in memory nor in best.ckpt
     *     (e.g. best.ckpt was deleted or is of another step)
     */
    public <T> T withBestParameters(Supplier<T> action) {
        if (bestStep < 0 || bestStep == step) {
            return action.get();
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager(devices[0])) {
            List<NDArray> current = new ArrayList<>();
            for (Pair<String, Parameter> p : parameters) {
                NDArray c = p.getValue().getArray().duplicate();
                c.attach(m);
                current.add(c);
            }
            try {
                loadBest();
                JniUtils.setGradMode(grad);
                return action.get();
            } finally {
                JniUtils.setGradMode(false);
                for (int i = 0; i < parameters.size(); i++) {
                    StoredArray.copy(current.get(i), parameters.get(i).getValue().getArray());
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Copies the parameters of {@link #bestStep} into the model (grad mode off). */
    private void loadBest() {
        if (bestSnapshot != null) { // taken at bestStep: restore() and each new best replace it
            for (int i = 0; i < parameters.size(); i++) {
                StoredArray.copy(bestSnapshot.get(i), parameters.get(i).getValue().getArray());
            }
            return;
        }
        Path file = config.checkpointDir() == null ? null : config.checkpointDir().resolve("best.ckpt");
        Checkpoint ck;
        try {
            ck = file == null ? null : Checkpoint.read(file);
        } catch (IOException e) {
            throw new IllegalStateException("best parameters of step " + bestStep + ": expected them in " + file
                    + ", could not read it (" + e.getMessage() + ")", e);
        }
        if (ck == null || ck.progress().step() != bestStep) {
            throw new IllegalStateException("best parameters of step " + bestStep + ": expected them in memory or in "
                    + (file == null ? "best.ckpt (no checkpoint folder is configured)" : file) + ", found "
                    + (ck == null ? "neither" : "a checkpoint of step " + ck.progress().step()));
        }
        ck.loadParameters(task.block());
    }

    /** Keeps a copy of the current parameters as the best (no checkpoint folder to hold them). */
    private void snapshotBest() {
        dropSnapshot();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            List<NDArray> copies = new ArrayList<>();
            for (Pair<String, Parameter> p : parameters) {
                NDArray c = p.getValue().getArray().duplicate();
                c.attach(manager);
                copies.add(c);
            }
            bestSnapshot = copies;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private void dropSnapshot() {
        if (bestSnapshot != null) {
            bestSnapshot.forEach(NDArray::close);
            bestSnapshot = null;
        }
    }

    private void writeCheckpoint(String name) {
        if (config.checkpointDir() != null) {
            saveCheckpoint(config.checkpointDir().resolve(name));
        }
    }

    /** Writes a checkpoint of the model, the optimizer and the progress (atomically). */
    public void saveCheckpoint(Path file) {
        try {
            Checkpoint.write(file, task, config, optimizer, new Checkpoint.Progress(step, best, bestStep,
                    badEvaluations, seconds()));
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + file + ": write failed", e);
        }
    }

    /**
     * Mean loss and accuracy (and perplexity, for a language model) over the evaluation batches (no dropout, no gradients,
     * first device).
     */
    public Map<String, Double> evaluate(EvalSource eval) {
        double loss = 0;
        double count = 0;
        double correct = 0;
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager(devices[0])) {
            ParameterStore ps = new ParameterStore(m, false);
            for (TrainingBatch b : eval.batches(m)) {
                try (b) {
                    NDArray[] sums = task.lossSums(ps, onDevice(b, devices[0], m), false);
                    loss += sums[0].toType(DataType.FLOAT64, false).getDouble();
                    count += sums[1].toType(DataType.FLOAT64, false).getDouble();
                    correct += sums[2].toType(DataType.FLOAT64, false).getDouble();
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        Checks.require(count > 0, "evaluation batches", "at least one label", "none");
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", loss / count);
        out.put("accuracy", correct / count);
        if (Tasks.LANGUAGE_MODEL.equals(task.modelType())) {
            out.put("perplexity", Math.exp(loss / count));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * One optimizer step; null when the step diverged (a non-finite loss, gradient norm or
     * activation): then no update is applied and {@link #divergence} says what happened.
     */
    private TrainingListener.Step trainStep(BatchSource train) {
        long start = System.nanoTime();
        double lr = config.learningRate(step);
        double lossValue;
        double gradNorm;
        long samples;
        long tokens;
        try (NDManager m = manager.newSubManager(devices[0])) {
            engine.setRandomSeed(stepSeed(config.seed(), step));
            TrainingBatch batch = train.batch(m, step);
            samples = batch.size();
            tokens = batch.tokens();
            List<TrainingBatch> parts = split(batch, m);
            List<NDArray[]> sums = new ArrayList<>();
            double count = 0;
            double total = 0;
            try (GradientCollector gc = engine.newGradientCollector()) {
                try {
                    for (TrainingBatch part : parts) {
                        NDArray[] s = task.lossSums(store, part, true);
                        sums.add(s);
                        count += s[1].toType(DataType.FLOAT64, false).getDouble();
                        total += s[0].toType(DataType.FLOAT64, false).getDouble();
                    }
                } catch (Checks.NonFiniteException e) {
                    divergence = new TrainingResult.Divergence(step + 1, Double.NaN, Double.NaN, lr, e.getMessage());
                    return null;
                }
                Checks.require(count > 0, "training batch " + step, "at least one label that is not ignored", "none");
                lossValue = total / count;
                if (!Double.isFinite(lossValue)) {
                    divergence = new TrainingResult.Divergence(step + 1, lossValue, Double.NaN, lr, null);
                    return null;
                }
                for (NDArray[] s : sums) {
                    try (NDArray loss = Scalars.mul(s[0], 1.0 / count)) {
                        beforeBackward.run();
                        gc.backward(loss);
                    }
                }
            }
            store.updateAllParameters(); // GradientSync: gradients of all devices summed on the first
            gradNorm = applyUpdate(lr);
            if (!Double.isFinite(gradNorm)) {
                divergence = new TrainingResult.Divergence(step + 1, lossValue, gradNorm, lr, null);
                return null;
            }
        }
        step++;
        return new TrainingListener.Step(step, config.steps(), lossValue, lr, gradNorm, samples, tokens,
                (System.nanoTime() - start) / 1e9);
    }

    /**
     * Clips by global norm, runs AdamW, copies to the other devices, zeroes gradients; applies
     * nothing when the norm is not finite.
     *
     * @return the global gradient norm before clipping
     */
    private double applyUpdate(double lr) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager(devices[0])) {
            List<Pair<Pair<String, Parameter>, NDArray[]>> live = new ArrayList<>();
            NDList squares = new NDList();
            for (Pair<String, Parameter> p : parameters) {
                NDArray[] arrays = sync.pending.get(p.getValue().getId());
                if (arrays == null || !arrays[0].hasGradient()) {
                    continue;
                }
                live.add(new Pair<>(p, arrays));
                NDArray g = arrays[0].getGradient();
                g.attach(m);
                NDArray sq = g.square();
                NDArray s = sq.sum();
                squares.add(s.toType(DataType.FLOAT64, false));
            }
            double norm;
            try (NDArray all = NDArrays.stack(squares); NDArray sum = all.sum()) {
                norm = Math.sqrt(sum.getDouble());
            }
            if (!Double.isFinite(norm)) { // no update from a NaN or infinite gradient
                for (Pair<Pair<String, Parameter>, NDArray[]> e : live) {
                    for (NDArray a : e.getValue()) {
                        JniUtils.zeroGrad((PtNDArray) a);
                    }
                }
                sync.pending.clear();
                return norm;
            }
            double scale = config.clipNorm() > 0 && norm > config.clipNorm() ? config.clipNorm() / (norm + 1e-6) : 1.0;
            optimizer.beginStep();
            for (Pair<Pair<String, Parameter>, NDArray[]> e : live) {
                NDArray[] arrays = e.getValue();
                Parameter param = e.getKey().getValue();
                NDArray g = arrays[0].getGradient();
                g.attach(m);
                optimizer.update(e.getKey().getKey(), param.getType(), arrays[0], g, lr, scale);
                for (int i = 1; i < arrays.length; i++) {
                    StoredArray.copy(arrays[0], arrays[i]);
                }
                for (NDArray a : arrays) {
                    JniUtils.zeroGrad((PtNDArray) a);
                }
            }
            sync.pending.clear();
            return norm;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private List<TrainingBatch> split(TrainingBatch batch, NDManager m) {
        if (devices.length == 1) {
            return List.of(onDevice(batch, devices[0], m));
        }
        long b = batch.size();
        int parts = (int) Math.min(devices.length, b);
        long[] cuts = new long[parts - 1];
        for (int i = 1; i < parts; i++) {
            cuts[i - 1] = b * i / parts;
        }
        List<NDList> inputs = splitAll(batch.inputs(), cuts);
        List<NDList> labels = splitAll(batch.labels(), cuts);
        List<TrainingBatch> out = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            out.add(onDevice(new TrainingBatch(inputs.get(i), labels.get(i)), devices[i], m));
        }
        return out;
    }

    private static List<NDList> splitAll(NDList arrays, long[] cuts) {
        List<NDList> out = new ArrayList<>();
        for (int i = 0; i <= cuts.length; i++) {
            out.add(new NDList());
        }
        for (NDArray a : arrays) {
            NDList pieces = a.split(cuts, 0);
            for (int i = 0; i < pieces.size(); i++) {
                out.get(i).add(pieces.get(i));
            }
        }
        return out;
    }

    private static TrainingBatch onDevice(TrainingBatch b, Device d, NDManager m) {
        if (b.inputs().get(0).getDevice().equals(d) && b.labels().get(0).getDevice().equals(d)) {
            return b;
        }
        NDList in = new NDList();
        NDList lab = new NDList();
        for (NDArray a : b.inputs()) {
            NDArray c = a.toDevice(d, true);
            c.attach(m);
            in.add(c);
        }
        for (NDArray a : b.labels()) {
            NDArray c = a.toDevice(d, true);
            c.attach(m);
            lab.add(c);
        }
        return new TrainingBatch(in, lab);
    }

    /** The libtorch seed of a step: a mix of the run's seed and the step. */
    static int stepSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (int) (z >>> 33);
    }

    @Override
    public void close() {
        dropSnapshot();
        optimizer.close();
        manager.close();
    }

    /**
     * DJL's parameter server hook: sums the gradients of every device copy onto the first and
     * remembers the copies, so the trainer can clip by the global norm before any update.
     */
    private static final class GradientSync implements ParameterServer {
        final Map<String, NDArray[]> pending = new HashMap<>();

        @Override
        public void init(String parameterId, NDArray[] value) {}

        @Override
        public void update(String parameterId, NDArray[] grads, NDArray[] params) {
            for (int i = 1; i < grads.length; i++) {
                try (NDArray g = grads[i].toDevice(grads[0].getDevice(), true)) {
                    grads[0].addi(g);
                }
            }
            pending.put(parameterId, params);
        }

        @Override
        public void close() {}
    }
}
