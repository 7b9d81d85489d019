package org.leapformer.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.Positions;
import org.leapformer.nn.AttentionKind;
import org.leapformer.train.BatchSource;
import org.leapformer.train.Tasks;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingBatch;
import org.leapformer.train.TrainingConfig;

/**
 * LeaP's point: nothing in the recurrent state depends on the sequence length. A language model
 * trained on 64-token windows steps 10,000 tokens in constant memory and keeps doing what it
 * learned long after the window.
 */
class PastTheWindowTest {

    private static final int V = 13;
    private static final int WINDOW = 64;

    /** Sequences that count up mod V from a random start; labels are the next ids. */
    private static BatchSource counting(int batch, long seed) {
        return (m, step) -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + step);
            long[] ids = new long[batch * WINDOW];
            long[] labels = new long[batch * WINDOW];
            for (int b = 0; b < batch; b++) {
                int start = r.nextInt(V);
                for (int i = 0; i < WINDOW; i++) {
                    ids[b * WINDOW + i] = (start + i) % V;
                    labels[b * WINDOW + i] = (start + i + 1) % V;
                }
            }
            return new TrainingBatch(new NDList(m.create(ids, new Shape(batch, WINDOW))),
                    new NDList(m.create(labels, new Shape(batch, WINDOW))));
        };
    }

    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }

    @Test
    void aModelTrainedOn64TokenWindowsSteps10000TokensInFlatMemoryAndKeepsCounting() {
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(41);
            ModelConfig config = ModelConfig.builder().optKind(AttentionKind.LEAP).setVocabSize(V).setMaxLength(WINDOW)
                    .optDModel(32).optHeads(2).optHeadDim(16).optFfnDim(64).optLayers(2).optDropout(0.0)
                    .optChunkSize(16).build();
            assertEquals(Positions.SINUSOIDAL, config.positions(), "the language model's default");
            DecoderLM lm = new DecoderLM(config).initialize(m, DataType.FLOAT32);
            try (Trainer t = new Trainer(Tasks.languageModel(lm), TrainingConfig.builder().setSteps(150)
                    .optLearningRate(3e-3).optWarmupSteps(10).build())) {
                t.fit(counting(16, 5), null);
            }
            int steps = 10_000;
            int correct = 0;
            int countedPastWindow = 0;
            int arraysAtThousand = -1;
            long rssAtThousand = -1;
            try (Stepper s = Stepper.of(lm, m)) {
                int token = 4;
                for (int i = 0; i < steps; i++) {
                    int next = s.step(token).argmax();
                    if (i >= WINDOW) {
                        countedPastWindow++;
                        correct += next == (token + 1) % V ? 1 : 0;
                    }
                    token = next;
                    if (i == 999) {
                        System.gc();
                        arraysAtThousand = m.getManagedArrays().size();
                        rssAtThousand = residentBytes();
                    }
                }
                System.gc();
                int arraysAtEnd = m.getManagedArrays().size();
                long rssAtEnd = residentBytes();
                System.err.printf("PastTheWindowTest: %d steps; arrays alive %d at step 1,000 and %d at step %,d; "
                        + "resident memory %.1f MB and %.1f MB; next token right %.1f%% of the time past the "
                        + "64-token window%n", steps, arraysAtThousand, arraysAtEnd, steps, rssAtThousand / 1e6,
                        rssAtEnd / 1e6, 100.0 * correct / countedPastWindow);
                assertEquals(arraysAtThousand, arraysAtEnd, "arrays alive after 1,000 and after 10,000 steps");
                assertEquals(steps, s.length());
                if (rssAtThousand > 0) {
                    assertTrue(rssAtEnd - rssAtThousand < 64_000_000L, "resident memory grew by "
                            + (rssAtEnd - rssAtThousand) / 1e6 + " MB over 9,000 steps");
                }
            }
            assertTrue(correct > 0.9 * countedPastWindow, "the model keeps counting past its window: " + correct + " of "
                    + countedPastWindow);
        }
    }
}
