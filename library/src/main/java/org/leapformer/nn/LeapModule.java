package org.leapformer.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import org.leapformer.ops.Checks;

/**
 * The LeaP module: a tiny MLP that maps each ReLU'd query or key vector to a proportion in (0, 1).
 *
 * <pre>
 *   p(x) = sigmoid(W2 · relu(W1 · x + b1) + b2)    hidden h &gt; 1:  W1 (h, D), b1 (h), W2 (1, h), b2 (1)
 *   p(x) = sigmoid(W · x + b)                      hidden h = 1:  W (1, D), b (1)
 * </pre>
 *
 * Input (..., D), output (..., 1). Weights use the nn.Linear layout W[out][in] and its default
 * initialisation U(−1/√fan_in, 1/√fan_in). One module serves all heads of a layer; a layer has
 * one for queries and one for keys (Agostinelli et al., ICML 2024,
 * <a href="https://arxiv.org/abs/2405.13046">arXiv:2405.13046</a>).
 */
public final class LeapModule extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int inputSize;
    private final int hidden;
    private final Parameter w1;
    private final Parameter b1;
    private final Parameter w2;
    private final Parameter b2;

    /**
     * @param inputSize D, the head dimension
     * @param hidden h ≥ 1; 1 means a single Linear(D, 1) before the sigmoid
     */
    public LeapModule(int inputSize, int hidden) {
        super(VERSION);
        Checks.require(inputSize > 0, "LeaP input size", "a positive head dimension D", inputSize);
        Checks.require(hidden >= 1, "LeaP hidden size", "h >= 1 (1 means sigmoid(W x + b))", hidden);
        this.inputSize = inputSize;
        this.hidden = hidden;
        if (hidden == 1) {
            w1 = addParameter(param("W", new Shape(1, inputSize), inputSize, Parameter.Type.WEIGHT));
            b1 = addParameter(param("b", new Shape(1), inputSize, Parameter.Type.BIAS));
            w2 = null;
            b2 = null;
        } else {
            w1 = addParameter(param("W1", new Shape(hidden, inputSize), inputSize, Parameter.Type.WEIGHT));
            b1 = addParameter(param("b1", new Shape(hidden), inputSize, Parameter.Type.BIAS));
            w2 = addParameter(param("W2", new Shape(1, hidden), hidden, Parameter.Type.WEIGHT));
            b2 = addParameter(param("b2", new Shape(1), hidden, Parameter.Type.BIAS));
        }
    }

    private static Parameter param(String name, Shape shape, int fanIn, Parameter.Type type) {
        Parameter p = Parameter.builder().setName(name).setType(type).optShape(shape).build();
        p.setInitializer(new UniformInitializer((float) (1.0 / Math.sqrt(fanIn))));
        return p;
    }

    /** D. */
    public int inputSize() {
        return inputSize;
    }

    /** h. */
    public int hidden() {
        return hidden;
    }

    /**
     * Proportions of ReLU'd vectors.
     *
     * @param ps where parameter values come from
     * @param x relu(q) or relu(k), (..., D)
     * @param training whether this is a training pass
     * @return (..., 1), in (0, 1)
     */
    public NDArray proportions(ParameterStore ps, NDArray x, boolean training) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        Checks.require(d == inputSize, "LeaP module input", "last dimension D=" + inputSize, "shape " + x.getShape());
        NDArray wa = ps.getValue(w1, x.getDevice(), training);
        NDArray ba = ps.getValue(b1, x.getDevice(), training);
        NDArray logit;
        try (NDArray wt = wa.transpose(); NDArray xw = x.matMul(wt)) {
            logit = xw.add(ba);
        }
        if (hidden > 1) {
            NDArray w2a = ps.getValue(w2, x.getDevice(), training);
            NDArray b2a = ps.getValue(b2, x.getDevice(), training);
            try (NDArray hid = Activation.relu(logit); NDArray wt = w2a.transpose(); NDArray hw = hid.matMul(wt)) {
                logit.close();
                logit = hw.add(b2a);
            }
        }
        NDArray p = Activation.sigmoid(logit);
        logit.close();
        return p;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(proportions(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long[] dims = in.getShape().clone();
        dims[dims.length - 1] = 1;
        return new Shape[] {new Shape(dims)};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("LeaP module", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    /** Convenience for tests and tools: the parameter arrays in the nn.Linear layout, by name. */
    public NDArray weight(String name) {
        Parameter p = getDirectParameters().get(name);
        Checks.require(p != null, "LeaP parameter name", getDirectParameters().keys(), name);
        Checks.require(p.isInitialized(), "LeaP parameter " + name, "an initialized block (call initialize)",
                "not initialized");
        return p.getArray();
    }

    /** The parameter names: W, b when h = 1, else W1, b1, W2, b2. */
    public java.util.List<String> weightNames() {
        return getDirectParameters().keys();
    }

    /** The input type of the module's parameters after {@link #initialize}. */
    DataType dataType() {
        return w1.getArray().getDataType();
    }
}
