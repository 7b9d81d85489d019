package org.leapformer.jupyter

import ai.djl.ndarray.NDArray
import ai.djl.ndarray.types.DataType
import org.jetbrains.kotlinx.jupyter.api.MIME
import java.math.BigDecimal
import java.math.MathContext
import kotlin.math.abs
import org.jetbrains.kotlinx.jupyter.api.MimeTypedResult

/**
 * A DJL NDArray shown in a notebook as its shape, type, device and first values, so that a cell
 * ending in a large tensor does not print all of it.
 */
object NDArraySummary {

    /** How many leading values (in row-major order) the summary shows. */
    const val SHOWN_VALUES: Int = 8

    /** One line, e.g. `NDArray (2, 3) float32 cpu() [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]`. */
    fun text(array: NDArray): String {
        val size = array.shape.size()
        val values = leadingValues(array)
        val more = if (size > values.size) ", ... (${size - values.size} more)" else ""
        val name = array.name?.takeIf { it.isNotBlank() }?.let { " '$it'" } ?: ""
        return "NDArray$name ${array.shape} ${array.dataType} ${array.device} " +
            "[${values.joinToString(", ")}$more]"
    }

    /** The summary as text/plain and as a one-line text/html. */
    fun toMime(array: NDArray): MimeTypedResult {
        val text = text(array)
        return MIME("text/plain" to text, "text/html" to "<pre>${escapeHtml(text)}</pre>")
    }

    private fun leadingValues(array: NDArray): List<String> {
        val size = array.shape.size()
        if (size == 0L || array.isSparse) {
            return emptyList()
        }
        val n = minOf(size, SHOWN_VALUES.toLong())
        return array.flatten().use { flat ->
            flat.get("0:$n").use { head ->
                when (head.dataType) {
                    DataType.BOOLEAN -> head.toBooleanArray().map { it.toString() }
                    DataType.STRING -> head.toStringArray().map { "\"$it\"" }
                    else -> head.toType(DataType.FLOAT64, false).use { d ->
                        d.toDoubleArray().map { formatNumber(it, head.dataType.isInteger) }
                    }
                }
            }
        }
    }

    /** Four significant digits, without trailing zeros: 0.1235, 2, 1.5E-7. */
    internal fun formatNumber(value: Double, integer: Boolean): String = when {
        integer -> value.toLong().toString()
        value.isNaN() || value.isInfinite() -> value.toString()
        else -> {
            val d = BigDecimal(value).round(MathContext(4)).stripTrailingZeros()
            if (value == 0.0 || abs(value) in 1e-4..1e7) d.toPlainString() else d.toString()
        }
    }

    internal fun escapeHtml(s: String): String =
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
}
