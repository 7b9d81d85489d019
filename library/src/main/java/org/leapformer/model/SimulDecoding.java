package org.leapformer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.leapformer.ops.Checks;
import org.leapformer.ops.WaitK;

/**
 * Streaming translation under a wait-k policy (Ma et al. 2019): read k source tokens, then
 * alternate writing one target token and reading one source token; once the source is read
 * whole, write until the end token. Greedy (the most likely token at each write).
 */
public final class SimulDecoding {

    private SimulDecoding() {}

    /** One action of the policy: a source token read or a target token written. */
    public record Action(boolean read, int token, long sourceRead, long targetWritten) {
        @Override
        public String toString() {
            return (read ? "READ  " : "WRITE ") + token + " (read " + sourceRead + ", written " + targetWritten + ")";
        }
    }

    /**
     * A streamed translation.
     *
     * @param target the written tokens, without the end token
     * @param delays for each written token (not the end token), how many source words had been read
     *     (the source's own end token not counted), for Average Lagging
     * @param actions every read and write, in order
     * @param sourceLength source tokens without the end-of-source token
     */
    public record Result(int[] target, long[] delays, List<Action> actions, int sourceLength) {
        @Override
        public String toString() {
            return "SimulDecoding.Result(" + target.length + " tokens written, delays " + Arrays.toString(delays)
                    + ")";
        }
    }

    /**
     * Translates one source sentence.
     *
     * @param source source ids, ending in the end-of-source token
     * @param k the lag (≥ 1) or {@link WaitK#OFFLINE}: read everything first
     * @param startId the decoder's first input
     * @param endId the token that ends the target
     * @param maxTarget the most tokens written (the end token included)
     * @param listener told every action as it happens, or null
     */
    public static Result waitK(SimulTranslator model, NDManager manager, int[] source, long k, int startId,
            int endId, int maxTarget, java.util.function.Consumer<Action> listener) {
        Checks.require(source != null && source.length > 0, "source", "at least one token (the end token)",
                source == null ? "null" : "none");
        Checks.require(k >= 1, "wait-k lag", "k >= 1 (or WaitK.OFFLINE)", k);
        Checks.require(maxTarget >= 1, "maxTarget", "at least 1 token", maxTarget);
        Checks.ids("source ids", source, model.config().vocabSize(), "the vocabulary");
        List<Action> actions = new ArrayList<>();
        List<Integer> written = new ArrayList<>();
        List<Long> delays = new ArrayList<>();
        int words = source.length - 1;
        try (SimulTranslator.Stream stream = model.newStream(manager, 1)) {
            int previous = startId;
            long limit = Math.min(maxTarget, model.config().lengthLimit()); // learned positions cap the target
            for (int t = 0; t < limit; t++) {
                long needed = WaitK.visible(t, k, source.length);
                while (stream.sourceLength() < needed) {
                    int token = source[(int) stream.sourceLength()];
                    try (NDManager step = manager.newSubManager()) {
                        stream.read(step.create(new long[] {token}, new Shape(1, 1)));
                    }
                    Action a = new Action(true, token, stream.sourceLength(), t);
                    actions.add(a);
                    if (listener != null) {
                        listener.accept(a);
                    }
                }
                int next;
                try (NDManager step = manager.newSubManager()) {
                    NDArray logits = stream.write(step.create(new long[] {previous}, new Shape(1, 1)));
                    next = (int) logits.get("0, 0").argMax().getLong();
                }
                Action a = new Action(false, next, stream.sourceLength(), t + 1);
                actions.add(a);
                if (listener != null) {
                    listener.accept(a);
                }
                if (next == endId) {
                    break;
                }
                written.add(next);
                delays.add(Math.max(1, Math.min(stream.sourceLength(), words)));
                previous = next;
            }
        }
        return new Result(written.stream().mapToInt(Integer::intValue).toArray(),
                delays.stream().mapToLong(Long::longValue).toArray(), List.copyOf(actions), words);
    }
}
