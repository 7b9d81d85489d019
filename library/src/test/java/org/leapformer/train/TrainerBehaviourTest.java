package org.leapformer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfigs;
import org.leapformer.nn.AttentionKind;

/** Interrupts, early stopping, schedules, clipping, devices and the garbage-collection trap. */
class TrainerBehaviourTest {

    private static EncoderClassifier model(NDManager m, double dropout) {
        TestSupport.seed(3);
        return new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).optNumClasses(2).optDropout(dropout)
                .build()).initialize(m, DataType.FLOAT32);
    }

    @Test
    void anInterruptStopsAfterTheCurrentStepAndLeavesTheModelUsable() {
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m, 0.0);
            TrainingResult r;
            try (Trainer t = new Trainer(Tasks.classifier(model), TrainingConfig.builder().setSteps(1000).build())) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        if (s.step() == 5) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                r = t.fit(Synthetic.containsFive(8, 8, 1), null);
            }
            assertTrue(Thread.interrupted(), "interrupt flag restored");
            assertEquals(TrainingResult.StopReason.INTERRUPTED, r.reason());
            assertEquals(5, r.steps());
            NDArray logits = model.logits(m.create(new long[] {1, 2, 3, 5}, new Shape(1, 4)));
            TestSupport.assertFinite(logits, "logits after the interrupt");
        }
    }

    @Test
    void aListenerCanStopTrainingWithoutInterruptingTheThreadAndAHistoryRecordsTheRun() {
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m, 0.0);
            TrainingHistory history = new TrainingHistory("stopped at 4");
            TrainingResult r;
            TrainingConfig tc = TrainingConfig.builder().setSteps(1000).optEvalEvery(2).build();
            try (Trainer t = new Trainer(Tasks.classifier(model), tc)) {
                t.addListener(history).addListener(new TrainingListener() {
                    @Override
                    public boolean stopRequested() {
                        return history.steps().size() >= 4;
                    }
                });
                r = t.fit(Synthetic.containsFive(8, 8, 1), Synthetic.containsFiveEval(1, 8, 8, 2));
            }
            assertTrue(!Thread.interrupted(), "the thread is not left interrupted");
            assertEquals(TrainingResult.StopReason.INTERRUPTED, r.reason());
            assertEquals(4, r.steps());
            assertEquals(4, history.steps().size());
            assertEquals(1000, history.totalSteps());
            assertEquals(r, history.result());
            assertEquals(List.of(2L), List.copyOf(history.metric("accuracy").keySet())); // stopped before step 4's evaluation
            assertTrue(history.metricNames().contains("loss"), history.metricNames().toString());
            double mean = (history.steps().get(2).loss() + history.steps().get(3).loss()) / 2;
            assertEquals(mean, history.recentLoss(2), 1e-12);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> history.metric("bleu"));
            assertEquals("metric of run 'stopped at 4': expected one of " + history.metricNames() + ", found 'bleu'",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new TrainingHistory(" "));
        }
    }

    @Test
    void trainingStopsEarlyWhenTheMonitoredMetricStopsImproving() {
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m, 0.0);
            TrainingConfig tc = TrainingConfig.builder().setSteps(1000).optLearningRate(1e-9).optEvalEvery(2)
                    .optEarlyStopping(3, 0.01).build();
            List<Boolean> improved = new ArrayList<>();
            TrainingResult r;
            try (Trainer t = new Trainer(Tasks.classifier(model), tc)) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onEvaluation(Evaluation e) {
                        improved.add(e.improved());
                    }
                });
                r = t.fit(Synthetic.containsFive(8, 8, 1), Synthetic.containsFiveEval(1, 8, 8, 2));
            }
            assertEquals(TrainingResult.StopReason.EARLY_STOPPED, r.reason());
            assertEquals(List.of(true, false, false, false), improved);
            assertEquals(8, r.steps());
            assertEquals(2, r.bestStep());
        }
    }

    @Test
    void schedulesWarmUpThenDecayToTheMinimum() {
        assertEquals(0.25, Schedule.COSINE.learningRate(0, 10, 4, 1.0, 0.0), 1e-12);
        assertEquals(1.0, Schedule.COSINE.learningRate(3, 10, 4, 1.0, 0.0), 1e-12);
        assertEquals(1.0, Schedule.COSINE.learningRate(4, 10, 4, 1.0, 0.0), 1e-12);
        assertEquals(0.5, Schedule.COSINE.learningRate(7, 11, 4, 1.0, 0.0), 1e-12); // halfway through the decay
        assertEquals(0.1, Schedule.COSINE.learningRate(9, 10, 4, 1.0, 0.1), 1e-12);
        assertEquals(0.55, Schedule.LINEAR.learningRate(7, 11, 4, 1.0, 0.1), 1e-12);
        assertEquals(0.1, Schedule.LINEAR.learningRate(10, 11, 4, 1.0, 0.1), 1e-12);
        assertEquals(1.0, Schedule.CONSTANT.learningRate(10, 11, 4, 1.0, 0.1), 1e-12);
        TrainingConfig tc = TrainingConfig.builder().setSteps(100).optLearningRate(2e-3).optWarmupSteps(10).build();
        assertEquals(2e-4, tc.learningRate(0), 1e-15);
    }

    @Test
    void theTrainingConfigurationNamesTheExpectedAndTheFoundValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().build());
        assertEquals("steps: expected a positive number of optimizer steps, found -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().setSteps(10).optWarmupSteps(11).build());
        assertEquals("warm-up steps: expected a count in [0, 10], found 11", e.getMessage());
    }

    @Test
    void clippingScalesTheGradientBeforeAdamW() {
        try (NDManager m = LeapEngine.newManager()) {
            NDArray g = m.create(new float[] {3f, -4f});
            NDArray w1 = m.create(new float[] {1f, 1f});
            NDArray w2 = m.create(new float[] {1f, 1f});
            // ε = 1 makes the step depend on the gradient's size, so scaling is visible
            try (AdamW a = new AdamW(m, 0.9, 0.999, 1.0, 0.0); AdamW b = new AdamW(m, 0.9, 0.999, 1.0, 0.0)) {
                a.beginStep();
                b.beginStep();
                a.update("w", Parameter.Type.WEIGHT, w1, g, 0.1, 0.2);
                try (NDArray scaled = g.mul(0.2f)) {
                    b.update("w", Parameter.Type.WEIGHT, w2, scaled, 0.1, 1.0);
                }
            }
            assertArrayEquals(w2.toFloatArray(), w1.toFloatArray(), 1e-7f);
        }
    }

    /**
     * Both update paths (the fused native one for float32, op by op for float64) against PyTorch's
     * AdamW written out in double precision: three steps, decay on the weight and not on the
     * bias, a gradient scale.
     */
    @Test
    void adamWMatchesPyTorchsFormulaOnBothPaths() {
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-3;
        double wd = 0.1;
        double scale = 0.5;
        double[] lrs = {0.1, 0.05, 0.02};
        double[][] grads = {{3, -4, 0.5}, {-1, 2, 0.25}, {0.5, 0.5, -2}};
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
            for (Parameter.Type kind : List.of(Parameter.Type.WEIGHT, Parameter.Type.BIAS)) {
                double[] w = {1, -2, 0.5};
                double[] mm = new double[3];
                double[] vv = new double[3];
                try (NDManager m = LeapEngine.newManager(); AdamW opt = new AdamW(m, b1, b2, eps, wd)) {
                    NDArray weight = m.create(w.clone()).toType(type, false);
                    for (int t = 1; t <= 3; t++) {
                        opt.beginStep();
                        try (NDArray g = m.create(grads[t - 1]).toType(type, false)) {
                            opt.update("w", kind, weight, g, lrs[t - 1], scale);
                        }
                        for (int i = 0; i < 3; i++) {
                            double g = scale * grads[t - 1][i];
                            if (kind == Parameter.Type.WEIGHT) {
                                w[i] *= 1 - lrs[t - 1] * wd;
                            }
                            mm[i] = b1 * mm[i] + (1 - b1) * g;
                            vv[i] = b2 * vv[i] + (1 - b2) * g * g;
                            double mHat = mm[i] / (1 - Math.pow(b1, t));
                            double vHat = vv[i] / (1 - Math.pow(b2, t));
                            w[i] -= lrs[t - 1] * mHat / (Math.sqrt(vHat) + eps);
                        }
                    }
                    double[] got = weight.toType(DataType.FLOAT64, false).toDoubleArray();
                    double tol = type == DataType.FLOAT32 ? 2e-6 : 1e-12;
                    assertArrayEquals(w, got, tol, type + " " + kind);
                }
            }
        }
    }

    @Test
    void theReportedGradientNormIsTheGlobalNormBeforeClipping() {
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m, 0.0);
            List<Double> norms = new ArrayList<>();
            TrainingConfig tc = TrainingConfig.builder().setSteps(1).optClipNorm(1e-3).build();
            try (Trainer t = new Trainer(Tasks.classifier(model), tc)) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        norms.add(s.gradNorm());
                    }
                });
                t.fit(Synthetic.containsFive(8, 8, 1), null);
            }
            EncoderClassifier fresh = model(m, 0.0);
            double expected = 0;
            try (NDManager s = m.newSubManager()) {
                TrainingBatch b = Synthetic.containsFive(8, 8, 1).batch(s, 0);
                try (ai.djl.training.GradientCollector gc = LeapEngine.engine().newGradientCollector()) {
                    NDArray[] sums = Tasks.classifier(fresh).lossSums(new ai.djl.training.ParameterStore(s, false), b,
                            true);
                    gc.backward(sums[0].div(sums[1]));
                }
                for (Pair<String, Parameter> p : fresh.getParameters()) {
                    for (float f : p.getValue().getArray().getGradient().toFloatArray()) {
                        expected += (double) f * f;
                    }
                }
            }
            assertEquals(Math.sqrt(expected), norms.get(0), 1e-4 * Math.sqrt(expected));
        }
    }

    @Test
    void forcedGarbageCollectionBetweenForwardAndBackwardChangesNothing() {
        float[][] params = new float[2][];
        List<List<Double>> losses = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (NDManager m = LeapEngine.newManager()) {
                EncoderClassifier model = model(m, 0.1);
                List<Double> l = new ArrayList<>();
                try (Trainer t = new Trainer(Tasks.classifier(model), TrainingConfig.builder().setSteps(25).build())) {
                    if (run == 1) {
                        t.beforeBackward = () -> {
                            System.gc();
                            System.runFinalization();
                        };
                    }
                    t.addListener(new TrainingListener() {
                        @Override
                        public void onStep(Step s) {
                            l.add(s.loss());
                        }
                    });
                    t.fit(Synthetic.containsFive(8, 8, 1), null);
                }
                losses.add(l);
                List<Float> all = new ArrayList<>();
                for (Pair<String, Parameter> p : model.getParameters()) {
                    for (float f : p.getValue().getArray().toFloatArray()) {
                        all.add(f);
                    }
                }
                params[run] = new float[all.size()];
                for (int i = 0; i < all.size(); i++) {
                    params[run][i] = all.get(i);
                }
            }
        }
        assertEquals(losses.get(0), losses.get(1), "per-step losses with and without forced GC");
        assertArrayEquals(params[0], params[1], "parameters with and without forced GC");
    }

    @Test
    void trainingStepsLeaveNoArraysBehind() {
        try (NDManager m = LeapEngine.newManager()) {
            EncoderClassifier model = model(m, 0.1);
            int[] counts = new int[31];
            try (Trainer t = new Trainer(Tasks.classifier(model), TrainingConfig.builder().setSteps(30).build())) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        counts[(int) s.step()] = m.getManagedArrays().size();
                    }
                });
                t.fit(Synthetic.containsFive(8, 8, 1), null);
            }
            assertEquals(counts[2], counts[30], "arrays alive after step 2 and after step 30");
        }
    }

    private static String progressOf(boolean terminal, int steps) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (NDManager m = LeapEngine.newManager();
                java.io.PrintStream out = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8)) {
            EncoderClassifier model = model(m, 0.0);
            try (Trainer t = new Trainer(Tasks.classifier(model), TrainingConfig.builder().setSteps(steps)
                    .optEvalEvery(2).build())) {
                t.addListener(new ConsoleProgress("train", out, terminal));
                t.fit(Synthetic.containsFive(8, 8, 1), Synthetic.containsFiveEval(1, 8, 8, 2));
            }
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void theConsoleProgressBarShowsALabelledRunningLossEvaluationsAndTheEnd() {
        String text = progressOf(true, 4);
        assertTrue(text.contains("train loss (running mean) "), text);
        assertTrue(text.contains("train: evaluation at step 2: loss "), text);
        assertTrue(text.contains("train: completed after 4 steps, best "), text);
        assertTrue(!text.contains("perplexity"), "a classifier has no perplexity: " + text);
    }

    @Test
    void withoutATerminalProgressIsPlainLinesEveryFivePercentWithoutBarDrawing() {
        String text = progressOf(false, 40);
        assertTrue(!text.contains("\r") && !text.contains("[ ]") && !text.contains("%|"), text);
        long stepLines = text.lines().filter(l -> l.matches("train: step \\d+/40 \\(\\d+%\\) loss .*")).count();
        assertEquals(20, stepLines, text);
        assertTrue(text.contains("train: step 40/40 (100%) loss "), text);
        assertTrue(text.lines().findFirst().orElseThrow().contains("loss = running mean of the training loss"), text);
    }

    @Test
    void aGpuThatIsNotPresentIsRejectedWithTheGpuCount() {
        TestSupport.skipUnless(LeapEngine.engine().getGpuCount() == 0, "a GPU is present: nothing to reject");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().setSteps(1).optDevices("gpu").build().resolveDevices());
        assertTrue(e.getMessage().startsWith("devices: expected a GPU for 'gpu'"), e.getMessage());
        assertEquals(1, TrainingConfig.builder().setSteps(1).optDevices("auto").build().resolveDevices().length);
    }

    @Test
    void dataParallelTrainingOverEveryGpuMatchesOneDevice() {
        int gpus = LeapEngine.engine().getGpuCount();
        TestSupport.skipUnless(gpus >= 2, "no multi-GPU test: this machine has " + gpus + " GPU(s), 2 are needed");
        List<List<Double>> losses = new ArrayList<>();
        for (String devices : new String[] {"gpu0", "gpu"}) {
            try (NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.gpu(0), "PyTorch")) {
                EncoderClassifier model = model(m, 0.0);
                List<Double> l = new ArrayList<>();
                try (Trainer t = new Trainer(Tasks.classifier(model), TrainingConfig.builder().setSteps(20)
                        .optDevices(devices).build())) {
                    t.addListener(new TrainingListener() {
                        @Override
                        public void onStep(Step s) {
                            l.add(s.loss());
                        }
                    });
                    t.fit(Synthetic.containsFive(8, 8, 1), null);
                }
                losses.add(l);
            }
        }
        for (int i = 0; i < losses.get(0).size(); i++) {
            assertEquals(losses.get(0).get(i), losses.get(1).get(i), 1e-3, "loss of step " + (i + 1));
        }
    }
}
