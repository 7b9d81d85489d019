@file:JvmName("Plots")

package org.leapformer.jupyter

import org.jetbrains.letsPlot.Figure
import org.jetbrains.letsPlot.facet.facetGrid
import org.jetbrains.letsPlot.facet.facetWrap
import org.jetbrains.letsPlot.geom.geomHistogram
import org.jetbrains.letsPlot.geom.geomLine
import org.jetbrains.letsPlot.geom.geomRaster
import org.jetbrains.letsPlot.gggrid
import org.jetbrains.letsPlot.ggsize
import org.jetbrains.letsPlot.intern.Plot
import org.jetbrains.letsPlot.label.ggtitle
import org.jetbrains.letsPlot.label.xlab
import org.jetbrains.letsPlot.label.ylab
import org.jetbrains.letsPlot.letsPlot
import org.jetbrains.letsPlot.pos.positionIdentity
import org.jetbrains.letsPlot.scale.scaleColorManual
import org.jetbrains.letsPlot.scale.scaleFillGradient
import org.jetbrains.letsPlot.scale.scaleFillManual
import org.jetbrains.letsPlot.scale.scaleLinetypeManual
import org.jetbrains.letsPlot.scale.scaleXContinuous
import org.jetbrains.letsPlot.scale.scaleYContinuous
import org.jetbrains.letsPlot.scale.scaleYReverse
import org.leapformer.inspect.LayerStep
import org.leapformer.inspect.LayerTrace
import org.leapformer.inspect.Stepper
import org.leapformer.inspect.Trace
import org.leapformer.inspect.Values
import org.leapformer.nn.AttentionKind
import org.leapformer.train.TrainingHistory
import kotlin.math.PI
import kotlin.math.cos

/*
 * The figures of what a LeaPformer learned and did, each a Lets-Plot figure with a title, axis
 * labels and a legend: show it in a notebook by ending a cell with it, save it with
 * `figure.save(Path.of("x.png"))` (or `Figures.save(figure, path)` from Java).
 */

/** Colours of the house: LeaP blue, cosFormer orange, and three more for runs and series. */
internal val PALETTE = listOf("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")
private const val LOW = "#F7FBFF"
private const val HIGH = "#08306B"

/**
 * Proportion distributions per layer and head: one histogram panel per layer and side (query,
 * key) and head, the trained model's proportions beside those of [before] (e.g. the same text
 * traced at initialisation) when given. Padded positions (key mask 0) are left out.
 *
 * @param after a trace of a LeaP (or cosFormer) model
 * @param before a trace of the same architecture before training, or null
 * @throws IllegalArgumentException when a trace has no layer with proportions, or the two differ in
 *     layers or heads
 */
@JvmOverloads
fun proportionDistributions(
    after: Trace,
    before: Trace? = null,
    bins: Int = 20,
    title: String = if (before == null) "Learned proportions per layer and head" else "Proportions before and after training",
): Plot {
    require(bins in 1..1000) { "bins: expected 1..1000, found $bins" }
    val stages = listOfNotNull(before?.let { "before" to it }, "after" to after)
    if (before != null) {
        require(before.layerCount() == after.layerCount() && before.heads() == after.heads()) {
            "before: expected a trace with ${after.layerCount()} layers of ${after.heads()} heads like 'after', " +
                "found ${before.layerCount()} layers of ${before.heads()} heads"
        }
    }
    val proportion = ArrayList<Double>()
    val panel = ArrayList<String>()
    val head = ArrayList<String>()
    val stage = ArrayList<String>()
    for ((stageName, trace) in stages) {
        val layers = layersWithProportions(trace, "proportionDistributions")
        val mask = trace.keyMask()?.let { Values.of(it) }
        for (layer in layers) {
            for ((side, values) in listOf("query" to Values.of(layer.queryProportions()),
                    "key" to Values.of(layer.keyProportions()))) {
                forEachBhn(values, mask) { _, h, _, p ->
                    proportion += p.toDouble(); panel += "layer ${layer.index()} · $side"; head += "head $h"
                    stage += stageName
                }
            }
        }
    }
    val rows = panel.distinct().size
    val heads = head.distinct().size
    val data = mapOf("proportion" to proportion, "panel" to panel, "head" to head, "stage" to stage)
    return letsPlot(data) +
        geomHistogram(bins = bins, boundary = 0.0, alpha = 0.65, position = positionIdentity) {
            x = "proportion"; fill = "stage"
        } +
        scaleFillManual(values = listOf(PALETTE[7], PALETTE[0]).takeLast(stages.size),
            limits = stages.map { it.first }, name = "") +
        facetGrid(x = "head", y = "panel", scales = "free_y") +
        scaleXContinuous(limits = 0.0 to 1.0) +
        xlab("proportion p") + ylab("tokens") + ggtitle(title) +
        ggsize(minOf(1200, 140 + 260 * heads), 120 + 130 * rows)
}

/**
 * The learned proportions of one sequence against the position, p_q and p_k of one layer and head,
 * beside cosFormer's fixed i/N (which needs the length N that a stream does not know).
 */
@JvmOverloads
fun proportionsByPosition(
    trace: Trace,
    layer: Int = firstLayerWithProportions(trace),
    head: Int = 0,
    batch: Int = 0,
    title: String = "Proportion against position (layer $layer, head $head)",
): Plot {
    val lt = layerOf(trace, layer, "proportionsByPosition")
    checkBh(trace, batch, head)
    val n = validLength(trace, batch)
    val pq = Values.of(lt.queryProportions())
    val pk = Values.of(lt.keyProportions())
    val position = ArrayList<Int>()
    val value = ArrayList<Double>()
    val series = ArrayList<String>()
    val name = if (lt.kind() == AttentionKind.LEAP) "LeaP" else lt.kind().toString()
    for (i in 0 until n) {
        position += i; value += pq.get(batch.toLong(), head.toLong(), i.toLong(), 0).toDouble(); series += "$name p_q"
        position += i; value += pk.get(batch.toLong(), head.toLong(), i.toLong(), 0).toDouble(); series += "$name p_k"
        position += i; value += (i + 1).toDouble() / n; series += "cosFormer i/N"
    }
    val order = listOf("$name p_q", "$name p_k", "cosFormer i/N")
    return letsPlot(mapOf("position" to position, "proportion" to value, "series" to series)) +
        geomLine(size = 1.0) { x = "position"; y = "proportion"; color = "series"; linetype = "series" } +
        scaleColorManual(values = listOf(PALETTE[0], PALETTE[2], PALETTE[1]), limits = order, name = "") +
        scaleLinetypeManual(values = listOf(1, 1, 2), limits = order, name = "") +
        scaleYContinuous(limits = 0.0 to 1.0) +
        xlab("position i") + ylab("proportion") + ggtitle(title) + ggsize(720, 360)
}

/**
 * Concentration maps, as in the paper: the re-weighting cos(π/2·(p_q,i − p_k,j)) that LeaP's
 * learned proportions give query i and key j of one sequence, beside cosFormer's static
 * cos(π/2·(i − j)/N). In a causal model, keys after the query are left blank.
 */
@JvmOverloads
fun concentrationMaps(
    trace: Trace,
    layer: Int = firstLayerWithProportions(trace),
    head: Int = 0,
    batch: Int = 0,
    title: String = "Concentration: learned vs static (layer $layer, head $head)",
): Figure {
    val lt = layerOf(trace, layer, "concentrationMaps")
    checkBh(trace, batch, head)
    val n = validLength(trace, batch)
    val r = Values.of(lt.reweighting())
    val learned = matrix(n, trace.isCausal()) { i, j -> r.get(batch.toLong(), head.toLong(), i.toLong(), j.toLong()).toDouble() }
    val static = matrix(n, trace.isCausal()) { i, j -> cos(PI / 2 * (i - j) / n) }
    val name = if (lt.kind() == AttentionKind.LEAP) "LeaP: cos(π/2·(p_q,i − p_k,j))" else "${lt.kind()}: its re-weighting"
    return gggrid(listOf(
        heatmap(learned, "$title\n$name", "cos", 0.0 to 1.0),
        heatmap(static, "cosFormer: cos(π/2·(i − j)/N)", "cos", 0.0 to 1.0),
    ), ncol = 2)
}

/**
 * The attention weights of one layer and head for one sequence, query i (rows) over key j
 * (columns), from [Trace]: what each token attends to. Up to 64 [tokens] label the axes.
 */
@JvmOverloads
fun attentionHeatmap(
    trace: Trace,
    layer: Int = 0,
    head: Int = 0,
    batch: Int = 0,
    tokens: List<String>? = null,
    title: String = "Attention weights (layer $layer, head $head)",
): Plot {
    val lt = layerOf(trace, layer, "attentionHeatmap", needsProportions = false)
    checkBh(trace, batch, head)
    val n = validLength(trace, batch)
    require(tokens == null || tokens.size >= n) {
        "tokens: expected a label for each of the $n positions, found ${tokens!!.size}"
    }
    val w = Values.of(lt.weights())
    val m = matrix(n, trace.isCausal()) { i, j -> w.get(batch.toLong(), head.toLong(), i.toLong(), j.toLong()).toDouble() }
    var plot = heatmap(m, title, "weight", null)
    if (tokens != null && n <= 64) {
        val breaks = (0 until n).toList()
        val labels = tokens.take(n).map { it.replace("\n", "⏎").ifBlank { "␣" } }
        plot += scaleXContinuous(breaks = breaks, labels = labels, expand = listOf(0, 0))
        plot += scaleYReverse(breaks = breaks, labels = labels, expand = listOf(0, 0))
    }
    return plot
}

/**
 * The state of one layer as a sequence grows, from a [Stepper]'s steps: the norms of the running
 * sums S_sin, S_cos (and z_sin, z_cos) per head against the position.
 */
@JvmOverloads
@JvmName("stepStateNorms")
fun stepStateNorms(steps: List<Stepper.Step>, layer: Int = 0, title: String = "State norms as the sequence grows (layer $layer)"): Plot =
    layerStepStateNorms(layerSteps(steps, layer), title)

/** [stepStateNorms] for the steps of one layer (e.g. from a `LayerStepper`). */
@JvmOverloads
fun layerStepStateNorms(steps: List<LayerStep>, title: String = "State norms as the sequence grows", batch: Int = 0): Plot {
    require(steps.isNotEmpty()) { "steps: expected at least one step, found none" }
    require(steps[0].stateNorms().isNotEmpty()) {
        "steps: expected a linear attention, whose state has norms; softmax attention keeps a KV cache instead"
    }
    val position = ArrayList<Long>()
    val norm = ArrayList<Double>()
    val block = ArrayList<String>()
    val head = ArrayList<String>()
    for (s in steps) {
        for ((name, values) in s.stateNorms()) {
            for (h in 0 until s.heads()) {
                position += s.position(); norm += values.get(batch.toLong(), h.toLong()).toDouble(); block += name
                head += "head $h"
            }
        }
    }
    val names = steps[0].stateNorms().keys.toList()
    return letsPlot(mapOf("position" to position, "norm" to norm, "block" to block, "head" to head)) +
        geomLine(size = 1.0) { x = "position"; y = "norm"; color = "block" } +
        scaleColorManual(values = PALETTE.take(names.size), limits = names, name = "state") +
        facetWrap(facets = "head", ncol = 2, scales = "free_y") +
        xlab("position t") + ylab("Frobenius norm") + ggtitle(title) + ggsize(760, 340)
}

/** The new token's proportions p_q and p_k at every step, per head. */
@JvmOverloads
@JvmName("stepProportions")
fun stepProportions(steps: List<Stepper.Step>, layer: Int = 0, title: String = "Proportions token by token (layer $layer)"): Plot =
    layerStepProportions(layerSteps(steps, layer), title)

/** [stepProportions] for the steps of one layer. */
@JvmOverloads
fun layerStepProportions(steps: List<LayerStep>, title: String = "Proportions token by token", batch: Int = 0): Plot {
    require(steps.isNotEmpty()) { "steps: expected at least one step, found none" }
    require(steps[0].queryProportion() != null) {
        "steps: expected a LEAP or COSFORMER attention, which has proportions; this one has none"
    }
    val position = ArrayList<Long>()
    val value = ArrayList<Double>()
    val series = ArrayList<String>()
    val head = ArrayList<String>()
    for (s in steps) {
        for (h in 0 until s.heads()) {
            position += s.position(); value += s.queryProportion(batch, h).toDouble(); series += "p_q"; head += "head $h"
            position += s.position(); value += s.keyProportion(batch, h).toDouble(); series += "p_k"; head += "head $h"
        }
    }
    return letsPlot(mapOf("position" to position, "proportion" to value, "series" to series, "head" to head)) +
        geomLine(size = 1.0) { x = "position"; y = "proportion"; color = "series" } +
        scaleColorManual(values = listOf(PALETTE[0], PALETTE[2]), limits = listOf("p_q", "p_k"), name = "") +
        facetWrap(facets = "head", ncol = 2) + scaleYContinuous(limits = 0.0 to 1.0) +
        xlab("position t") + ylab("proportion") + ggtitle(title) + ggsize(760, 340)
}

/**
 * The attention rows as the sequence grows: row t is what token t gave tokens 0..t when it was
 * decoded (a stepper that keeps past keys is needed for the rows).
 */
@JvmOverloads
@JvmName("stepAttentionRows")
fun stepAttentionRows(steps: List<Stepper.Step>, layer: Int = 0, head: Int = 0,
        title: String = "Attention rows token by token (layer $layer, head $head)"): Plot =
    layerStepAttentionRows(layerSteps(steps, layer), head, title)

/** [stepAttentionRows] for the steps of one layer. */
@JvmOverloads
fun layerStepAttentionRows(steps: List<LayerStep>, head: Int = 0, title: String = "Attention rows token by token",
        batch: Int = 0): Plot {
    require(steps.isNotEmpty()) { "steps: expected at least one step, found none" }
    require(head in 0 until steps[0].heads()) { "head: expected 0..${steps[0].heads() - 1}, found $head" }
    val first = steps[0].position()
    val rows = steps.map { s -> s.attentionRow(batch, head) }
    val n = steps.size
    val m = Array(n) { t -> DoubleArray(n) { j -> val row = rows[t]; val k = j + first.toInt(); if (k < row.size) row[k].toDouble() else Double.NaN } }
    return heatmap(m, title, "weight", null, xName = "key position j", yName = "step t", offset = first)
}

/**
 * Training curves of one or more runs: the training loss (a running mean over [smooth] steps), the
 * learning rate, and every evaluation metric, one panel each, the runs in colours.
 *
 * @throws IllegalArgumentException when no run is given, two runs share a name, or no run has a step
 */
@JvmOverloads
fun trainingCurves(runs: List<TrainingHistory>, smooth: Int = 10, title: String = "Training curves"): Plot {
    require(runs.isNotEmpty()) { "runs: expected at least one TrainingHistory, found none" }
    require(smooth >= 1) { "smooth: expected a window of at least 1 step, found $smooth" }
    val dup = runs.groupBy { it.name() }.filterValues { it.size > 1 }.keys
    require(dup.isEmpty()) { "runs: expected distinct run names (they label the legend), found $dup more than once" }
    require(runs.any { it.steps().isNotEmpty() }) { "runs: expected a run with at least one step, found none" }
    val step = ArrayList<Long>()
    val value = ArrayList<Double>()
    val metric = ArrayList<String>()
    val run = ArrayList<String>()
    fun add(s: Long, v: Double, m: String, r: String) {
        if (v.isFinite()) { step += s; value += v; metric += m; run += r }
    }
    for (h in runs) {
        val steps = h.steps()
        val window = ArrayDeque<Double>()
        var sum = 0.0
        for (s in steps) {
            window.addLast(s.loss()); sum += s.loss()
            if (window.size > smooth) sum -= window.removeFirst()
            add(s.step(), sum / window.size, "training loss", h.name())
            add(s.step(), s.learningRate(), "learning rate", h.name())
        }
        for (e in h.evaluations()) {
            for ((k, v) in e.metrics()) add(e.step(), v, "eval $k", h.name())
        }
    }
    val panels = metric.distinct()
    val names = runs.map { it.name() }
    return letsPlot(mapOf("step" to step, "value" to value, "metric" to metric, "run" to run)) +
        geomLine(size = 1.0) { x = "step"; y = "value"; color = "run" } +
        scaleColorManual(values = List(names.size) { PALETTE[it % PALETTE.size] }, limits = names, name = "run") +
        facetWrap(facets = "metric", ncol = 2, scales = "free_y", order = 0) +
        xlab("step") + ylab("") + ggtitle(title) + ggsize(820, 190 + 210 * ((panels.size + 1) / 2))
}

/** [trainingCurves] of the runs given one by one. */
fun trainingCurves(vararg runs: TrainingHistory): Plot = trainingCurves(runs.toList())

// ----- helpers -----

private fun heatmap(m: Array<DoubleArray>, title: String, legend: String, limits: Pair<Double, Double>?,
        xName: String = "key j", yName: String = "query i", offset: Long = 0): Plot {
    val x = ArrayList<Long>()
    val y = ArrayList<Long>()
    val v = ArrayList<Double?>()
    for (i in m.indices) for (j in m[i].indices) {
        x += j + offset; y += i + offset; v += m[i][j].takeIf { it.isFinite() }
    }
    return letsPlot(mapOf("x" to x, "y" to y, "v" to v)) +
        geomRaster { this.x = "x"; this.y = "y"; fill = "v" } +
        scaleFillGradient(low = LOW, high = HIGH, name = legend, limits = limits, naValue = "#FFFFFF") +
        scaleXContinuous(expand = listOf(0, 0)) + scaleYReverse(expand = listOf(0, 0)) +
        xlab(xName) + ylab(yName) + ggtitle(title) + ggsize(460, 420)
}

private fun matrix(n: Int, causal: Boolean, f: (Int, Int) -> Double): Array<DoubleArray> =
    Array(n) { i -> DoubleArray(n) { j -> if (causal && j > i) Double.NaN else f(i, j) } }

private fun hasProportions(layer: LayerTrace) = layer.kind() == AttentionKind.LEAP || layer.kind() == AttentionKind.COSFORMER

private fun layersWithProportions(trace: Trace, what: String): List<LayerTrace> {
    val layers = trace.layers().filter(::hasProportions)
    require(layers.isNotEmpty()) {
        "$what: expected a trace of a LEAP or COSFORMER model, which has proportions; found ${trace.kind()} attention"
    }
    return layers
}

/** The index of the trace's first layer with proportions (LeaP or cosFormer). */
fun firstLayerWithProportions(trace: Trace): Int =
    layersWithProportions(trace, "proportions").first().index()

private fun layerOf(trace: Trace, layer: Int, what: String, needsProportions: Boolean = true): LayerTrace {
    require(layer in 0 until trace.layerCount()) {
        "$what: expected a layer in 0..${trace.layerCount() - 1}, found $layer"
    }
    val lt = trace.layer(layer)
    require(!needsProportions || hasProportions(lt)) {
        "$what: expected a LEAP or COSFORMER layer, which has proportions; layer $layer is ${lt.kind()}"
    }
    return lt
}

private fun checkBh(trace: Trace, batch: Int, head: Int) {
    require(batch in 0 until trace.batchSize()) { "batch: expected 0..${trace.batchSize() - 1}, found $batch" }
    require(head in 0 until trace.heads()) { "head: expected 0..${trace.heads() - 1}, found $head" }
}

/** The sequence's length without its padding (key mask 0 at the end). */
private fun validLength(trace: Trace, batch: Int): Int {
    val n = Math.toIntExact(trace.length())
    val mask = trace.keyMask() ?: return n
    val m = Values.of(mask)
    var valid = 0
    for (i in 0 until n) if (m.get(batch.toLong(), i.toLong()) != 0f) valid = i + 1
    return valid
}

private inline fun forEachBhn(values: Values, mask: Values?, action: (Int, Int, Int, Float) -> Unit) {
    val b = values.shape(0).toInt()
    val h = values.shape(1).toInt()
    val n = values.shape(2).toInt()
    for (bi in 0 until b) for (hi in 0 until h) for (ni in 0 until n) {
        if (mask == null || mask.get(bi.toLong(), ni.toLong()) != 0f) {
            action(bi, hi, ni, values.get(bi.toLong(), hi.toLong(), ni.toLong(), 0))
        }
    }
}

private fun layerSteps(steps: List<Stepper.Step>, layer: Int): List<LayerStep> {
    require(steps.isNotEmpty()) { "steps: expected at least one step, found none" }
    val layers = steps[0].layers().size
    require(layer in 0 until layers) { "layer: expected 0..${layers - 1}, found $layer" }
    return steps.map { it.layer(layer) }
}
