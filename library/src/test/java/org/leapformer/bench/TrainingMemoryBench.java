package org.leapformer.bench;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.leapformer.LeapEngine;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfig;
import org.leapformer.nn.AttentionKind;
import org.leapformer.train.Tasks;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingBatch;
import org.leapformer.train.TrainingConfig;
import org.leapformer.train.TrainingListener;

/**
 * Not a CI test: trains many small steps and prints the process's resident memory after the
 * warm-up and at intervals, to show that native memory does not grow.
 *
 * <pre>
 *   java -cp ... org.leapformer.bench.TrainingMemoryBench [steps=10000] [warmup=500]
 * </pre>
 */
public final class TrainingMemoryBench {

    private TrainingMemoryBench() {}

    public static void main(String[] args) throws IOException {
        long steps = args.length > 0 ? Long.parseLong(args[0]) : 10_000;
        long warmup = args.length > 1 ? Long.parseLong(args[1]) : 500;
        System.out.println(LeapEngine.ensureInitialized());
        try (NDManager m = LeapEngine.newManager()) {
            LeapEngine.engine().setRandomSeed(1);
            ModelConfig c = ModelConfig.builder().optKind(AttentionKind.LEAP).setVocabSize(16).setMaxLength(32)
                    .optDModel(32).optHeads(2).optHeadDim(16).optFfnDim(64).optLayers(2).optDropout(0.1)
                    .optNumClasses(2).optChunkSize(8).build();
            EncoderClassifier model = new EncoderClassifier(c).initialize(m, DataType.FLOAT32);
            TrainingConfig tc = TrainingConfig.builder().setSteps(steps).optWarmupSteps(100).optLearningRate(1e-3)
                    .build();
            long every = Math.max(1, steps / 10);
            long[] t0 = {System.nanoTime()};
            try (Trainer t = new Trainer(Tasks.classifier(model), tc)) {
                t.addListener(new TrainingListener() {
                    @Override
                    public void onStep(Step s) {
                        if (s.step() == warmup || s.step() % every == 0 || s.step() == steps) {
                            double secs = (System.nanoTime() - t0[0]) / 1e9;
                            System.out.printf(Locale.ROOT, "step %6d  loss %.4f  RSS %7.1f MB  %s  (%.1f s)%n",
                                    s.step(), s.loss(), rssMb(), s.step() == warmup ? "after warm-up" : "",
                                    secs);
                        }
                    }
                });
                t.fit((mm, step) -> batch(mm, step), null);
            }
        }
    }

    private static TrainingBatch batch(NDManager m, long step) {
        SplittableRandom r = new SplittableRandom(step);
        int b = 16;
        int n = 32;
        long[] ids = new long[b * n];
        long[] labels = new long[b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < n; j++) {
                ids[i * n + j] = 1 + r.nextInt(15);
                labels[i] |= ids[i * n + j] == 5 ? 1 : 0;
            }
        }
        return new TrainingBatch(new NDList(m.create(ids, new Shape(b, n))), new NDList(m.create(labels,
                new Shape(b))));
    }

    private static double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
