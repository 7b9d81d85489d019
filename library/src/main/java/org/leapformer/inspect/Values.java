package org.leapformer.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Locale;
import org.leapformer.ops.Checks;

/**
 * A tensor as plain Java values: float32 data in row-major order and its shape, for notebooks,
 * plots and Multik without NDArray plumbing. Copied out of the engine; owns no native memory.
 *
 * @param data the values, row-major (the last axis varies fastest)
 * @param shape the extent of every axis
 */
public record Values(float[] data, long[] shape) {

    public Values {
        Checks.require(data != null && shape != null, "values", "data and a shape", "null");
        long n = 1;
        for (long d : shape) {
            Checks.require(d >= 0, "shape", "extents >= 0", Arrays.toString(shape));
            n *= d;
        }
        Checks.require(n == data.length, "values", n + " values for shape " + Arrays.toString(shape),
                data.length + " values");
    }

    /** The values of an array (any floating type, copied as float32). */
    public static Values of(NDArray x) {
        float[] v;
        if (x.getDataType() == DataType.FLOAT32) {
            v = x.toFloatArray();
        } else {
            try (NDArray f = x.toType(DataType.FLOAT32, false)) {
                v = f.toFloatArray();
            }
        }
        return new Values(v, x.getShape().getShape().clone());
    }

    /** Number of axes. */
    public int rank() {
        return shape.length;
    }

    /** Extent of axis {@code axis}. */
    public long shape(int axis) {
        Checks.require(axis >= 0 && axis < shape.length, "axis", "0.." + (shape.length - 1), axis);
        return shape[axis];
    }

    /** Number of values. */
    public int size() {
        return data.length;
    }

    /**
     * The value at an index.
     *
     * @throws IllegalArgumentException when the index has the wrong rank or an entry out of range
     */
    public float get(long... index) {
        return data[offset(index)];
    }

    /**
     * The values along the last axis at the leading index, e.g. {@code row(b, h)} of a (B, H, N)
     * array: its N values.
     */
    public float[] row(long... leading) {
        Checks.require(leading.length == shape.length - 1, "row index", (shape.length - 1) + " leading indices",
                leading.length);
        long[] index = Arrays.copyOf(leading, shape.length);
        int from = offset(index);
        return Arrays.copyOfRange(data, from, from + (int) shape[shape.length - 1]);
    }

    private int offset(long[] index) {
        Checks.require(index.length == shape.length, "index", shape.length + " indices for shape "
                + Arrays.toString(shape), index.length);
        long at = 0;
        for (int i = 0; i < shape.length; i++) {
            Checks.require(index[i] >= 0 && index[i] < shape[i], "index " + i, "0.." + (shape[i] - 1) + " (shape "
                    + Arrays.toString(shape) + ")", index[i]);
            at = at * shape[i] + index[i];
        }
        return (int) at;
    }

    /** Shape, minimum, maximum and mean, never all the values. */
    @Override
    public String toString() {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (float f : data) {
            min = Math.min(min, f);
            max = Math.max(max, f);
            sum += f;
        }
        return data.length == 0 ? "Values" + Arrays.toString(shape) + " (empty)"
                : String.format(Locale.ROOT, "Values%s min %.4g max %.4g mean %.4g", Arrays.toString(shape), min, max,
                        sum / data.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Values v && Arrays.equals(data, v.data) && Arrays.equals(shape, v.shape);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(data) + Arrays.hashCode(shape);
    }
}
