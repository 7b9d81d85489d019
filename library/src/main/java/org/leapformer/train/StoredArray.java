package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.leapformer.ops.Checks;

/**
 * An array's type, shape and values read from or written to a checkpoint stream (big-endian,
 * bit-exact). Values go through Java arrays and {@code set(float[])}/{@code set(double[])}, never
 * through a direct buffer that a tensor could alias.
 */
record StoredArray(DataType type, Shape shape, float[] floats, double[] doubles) {

    private static final int MAX_RANK = 8;

    static void write(DataOutputStream out, NDArray a) throws IOException {
        DataType t = a.getDataType();
        Checks.require(t == DataType.FLOAT32 || t == DataType.FLOAT64, "checkpoint array type", "float32 or float64",
                t);
        out.writeUTF(t.name());
        long[] dims = a.getShape().getShape();
        out.writeInt(dims.length);
        for (long d : dims) {
            out.writeLong(d);
        }
        if (t == DataType.FLOAT32) {
            float[] v = a.toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4);
            b.asFloatBuffer().put(v);
            out.write(b.array());
        } else {
            double[] v = a.toDoubleArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 8);
            b.asDoubleBuffer().put(v);
            out.write(b.array());
        }
    }

    static StoredArray read(DataInputStream in) throws IOException {
        String typeName = in.readUTF();
        DataType t;
        if (typeName.equals(DataType.FLOAT32.name())) {
            t = DataType.FLOAT32;
        } else if (typeName.equals(DataType.FLOAT64.name())) {
            t = DataType.FLOAT64;
        } else {
            throw new IOException("array type: expected FLOAT32 or FLOAT64, found '" + typeName + "'");
        }
        int rank = in.readInt();
        if (rank < 0 || rank > MAX_RANK) {
            throw new IOException("array rank: expected 0.." + MAX_RANK + ", found " + rank);
        }
        long[] dims = new long[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = in.readLong();
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw new IOException("array dimension: expected 0.." + Integer.MAX_VALUE + ", found " + dims[i]);
            }
            n *= dims[i];
            if (n > Integer.MAX_VALUE / 8) {
                throw new IOException("array size: expected fewer than " + Integer.MAX_VALUE / 8
                        + " values, found " + Arrays.toString(dims));
            }
        }
        byte[] bytes = new byte[(int) n * (t == DataType.FLOAT32 ? 4 : 8)];
        in.readFully(bytes);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (t == DataType.FLOAT32) {
            float[] v = new float[(int) n];
            b.asFloatBuffer().get(v);
            return new StoredArray(t, new Shape(dims), v, null);
        }
        double[] v = new double[(int) n];
        b.asDoubleBuffer().get(v);
        return new StoredArray(t, new Shape(dims), null, v);
    }

    /** Copies the values into {@code target} in place (same array object; call with grad mode off). */
    void copyInto(NDArray target, String name) {
        Checks.require(target.getShape().equals(shape), "shape of " + name, target.getShape() + " (the model)",
                shape + " (the checkpoint)");
        Checks.require(target.getDataType() == type, "data type of " + name, target.getDataType() + " (the model)",
                type + " (the checkpoint)");
        // a copy through an index put: NDArray.set(Buffer) makes libtorch warn "AutoNonVariableTypeMode is
        // deprecated" on stderr
        try (NDManager m = target.getManager().newSubManager(target.getDevice());
                NDArray source = floats != null ? m.create(floats, shape) : m.create(doubles, shape)) {
            target.set(new NDIndex("..."), source);
        }
    }

    /** Copies {@code source} into {@code target} natively, in place (e.g. across devices). */
    static void copy(NDArray source, NDArray target) {
        try (NDArray moved = source.toDevice(target.getDevice(), true)) {
            target.set(new NDIndex("..."), moved);
        }
    }
}
