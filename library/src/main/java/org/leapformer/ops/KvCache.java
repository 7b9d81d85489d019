package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The state of causal softmax attention: every key and value seen so far. It grows by one row per
 * token, which is what linear attention's fixed-size {@link LinearState} avoids.
 */
public final class KvCache implements AttentionState {

    private final NDManager parent;
    private final NDManager manager;
    private final NDArray keys;
    private final NDArray values;

    private KvCache(NDManager parent, NDArray keys, NDArray values) {
        this.parent = parent;
        this.manager = parent.newSubManager();
        keys.attach(manager);
        values.attach(manager);
        this.keys = keys;
        this.values = values;
    }

    /** Wraps keys (B, H, L, D) and values (B, H, L, Dv); the cache takes the arrays over. */
    public static KvCache of(NDManager parent, NDArray keys, NDArray values) {
        Shape k = keys.getShape();
        Shape v = values.getShape();
        Checks.require(k.dimension() == 4 && v.dimension() == 4 && k.get(0) == v.get(0) && k.get(1) == v.get(1)
                && k.get(2) == v.get(2), "KV cache", "keys (B, H, L, D) and values (B, H, L, Dv)",
                "keys " + k + ", values " + v);
        return new KvCache(parent, keys, values);
    }

    @Override
    public KvCache copy(NDManager parent) {
        return new KvCache(parent, keys.duplicate(), values.duplicate());
    }

    KvCache next(NDArray newKeys, NDArray newValues) {
        return new KvCache(parent, newKeys, newValues);
    }

    /** (B, H, L, D). */
    public NDArray keys() {
        return keys;
    }

    /** (B, H, L, Dv). */
    public NDArray values() {
        return values;
    }

    public NDManager parentManager() {
        return parent;
    }

    @Override
    public long length() {
        return keys.getShape().get(2);
    }

    @Override
    public void close() {
        manager.close();
    }
}
