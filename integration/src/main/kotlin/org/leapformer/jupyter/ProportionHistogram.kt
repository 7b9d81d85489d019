package org.leapformer.jupyter

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.types.DataType
import org.jetbrains.letsPlot.geom.geomHistogram
import org.jetbrains.letsPlot.ggsize
import org.jetbrains.letsPlot.intern.Plot
import org.jetbrains.letsPlot.label.ggtitle
import org.jetbrains.letsPlot.label.xlab
import org.jetbrains.letsPlot.label.ylab
import org.jetbrains.letsPlot.letsPlot
import org.jetbrains.letsPlot.pos.positionDodge
import org.jetbrains.letsPlot.scale.scaleFillManual
import org.jetbrains.letsPlot.scale.scaleXContinuous

/** Fill colours of the query and key bars. */
private const val QUERY_COLOUR = "#4C72B0"
private const val KEY_COLOUR = "#DD8452"

/**
 * Side-by-side histograms of learned proportions, one for the queries and one for the keys.
 *
 * Both arrays may have any shape; their values are flattened and must lie in [0, 1].
 *
 * @param queries query proportions, a floating-point NDArray of any shape
 * @param keys key proportions, a floating-point NDArray of any shape
 * @param bins number of bins over [0, 1], from 1 to 1000
 * @param title the plot title
 * @throws IllegalArgumentException when an array is empty, not floating point, holds a value
 *     outside [0, 1] (or NaN), or when [bins] is out of range
 */
fun proportionHistogram(
    queries: NDArray,
    keys: NDArray,
    bins: Int = 20,
    title: String = "Learned proportions: query vs key",
): Plot {
    require(bins in 1..1000) { "bins: expected 1..1000, found $bins" }
    val q = proportions("queries", queries)
    val k = proportions("keys", keys)
    val data = mapOf(
        "proportion" to q.asList() + k.asList(),
        "side" to List(q.size) { "query" } + List(k.size) { "key" },
    )
    return letsPlot(data) +
        geomHistogram(bins = bins, boundary = 0.0, alpha = 0.8, position = positionDodge()) {
            x = "proportion"
            fill = "side"
        } +
        scaleFillManual(
            values = listOf(QUERY_COLOUR, KEY_COLOUR),
            limits = listOf("query", "key"),
            name = "",
        ) +
        scaleXContinuous(limits = 0.0 to 1.0) +
        xlab("proportion") +
        ylab("count") +
        ggtitle(title) +
        ggsize(640, 360)
}

private fun proportions(what: String, array: NDArray): FloatArray {
    require(array.dataType.isFloating) {
        "$what: expected a floating-point NDArray, found ${array.dataType} ${array.shape}"
    }
    require(array.shape.size() > 0) { "$what: expected at least one value, found shape ${array.shape}" }
    val values = if (array.dataType == DataType.FLOAT32) {
        array.toFloatArray()
    } else {
        array.toType(DataType.FLOAT32, false).use { it.toFloatArray() }
    }
    val bad = values.indexOfFirst { !(it in 0f..1f) }
    require(bad < 0) {
        "$what: expected proportions in [0, 1], found ${values[bad]} at flat index $bad " +
            "(${values.count { !(it in 0f..1f) }} of ${values.size} outside)"
    }
    return values
}
