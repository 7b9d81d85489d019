package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Closes the arrays a form creates along the way. A DJL operation puts its result in its first
 * operand's manager, so the transposes, paddings and partial sums of a form would otherwise stay
 * in the caller's manager until that closes: a loop of calls on long-lived inputs then grows by
 * every temporary of every call. Each form runs inside an {@link NDScope}; what it returns is taken
 * out of that scope and handed to the caller's own scope, if there is one.
 *
 * <p>Only for the pure array functions of this package: they fetch no parameters, so nothing
 * created inside is cached for a later call. Closing a temporary does not disturb autograd, which
 * holds its own reference to what the backward pass needs.
 */
final class Temporaries {

    private Temporaries() {}

    /**
     * Runs {@code body}; every array it creates is closed when it returns, but those {@code kept}
     * names. A kept array that is one of the {@code inputs} (a state passed through) is left as it
     * was.
     */
    static <T> T closeAfter(Supplier<T> body, Function<T, NDArray[]> kept, NDArray... inputs) {
        T result;
        NDArray[] keep;
        NDScope scope = new NDScope();
        try {
            result = body.get();
            keep = kept.apply(result);
            NDScope.unregister(keep);
        } finally {
            scope.close(); // also when body throws: nothing half-built is left behind
        }
        for (NDArray a : keep) {
            if (!isInput(a, inputs)) {
                NDScope.register(a); // the caller's scope, if any, owns it now
            }
        }
        return result;
    }

    private static boolean isInput(NDArray a, NDArray[] inputs) {
        for (NDArray x : inputs) {
            if (x == a) {
                return true;
            }
        }
        return false;
    }

    static NDArray array(Supplier<NDArray> body) {
        return closeAfter(body, a -> new NDArray[] {a});
    }

    /** A form that returns a state; {@code given} is the state it started from, or null. */
    static LinearState state(LinearState given, Supplier<LinearState> body) {
        return closeAfter(body, s -> new NDArray[] {s.s(), s.z()}, arraysOf(given));
    }

    /** A causal form: its output and final state are kept. */
    static AttentionOutput<LinearState> linear(LinearState given, Supplier<AttentionOutput<LinearState>> body) {
        return closeAfter(body, r -> new NDArray[] {r.output(), r.state().s(), r.state().z()}, arraysOf(given));
    }

    /** Causal softmax: its output and extended cache are kept. */
    static AttentionOutput<KvCache> softmax(KvCache given, Supplier<AttentionOutput<KvCache>> body) {
        NDArray[] inputs = given == null ? new NDArray[0] : new NDArray[] {given.keys(), given.values()};
        return closeAfter(body, r -> new NDArray[] {r.output(), r.state().keys(), r.state().values()}, inputs);
    }

    private static NDArray[] arraysOf(LinearState state) {
        return state == null ? new NDArray[0] : new NDArray[] {state.s(), state.z()};
    }
}
