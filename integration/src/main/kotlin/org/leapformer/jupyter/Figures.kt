@file:JvmName("Figures")

package org.leapformer.jupyter

import org.apache.batik.transcoder.TranscoderInput
import org.apache.batik.transcoder.TranscoderOutput
import org.apache.batik.transcoder.image.ImageTranscoder
import org.apache.batik.transcoder.image.PNGTranscoder
import org.jetbrains.kotlinx.jupyter.api.MIME
import org.jetbrains.kotlinx.jupyter.api.MimeTypedResult
import org.jetbrains.letsPlot.Figure
import org.jetbrains.letsPlot.awt.plot.PlotSvgExport
import org.jetbrains.letsPlot.intern.toSpec
import org.leapformer.data.AtomicFiles
import java.io.ByteArrayOutputStream
import java.io.StringReader
import java.nio.file.Path
import java.util.Base64

/**
 * A Lets-Plot figure (a plot, a `gggrid` of plots or a `GGBunch`) as SVG text, as PNG bytes, as
 * a file, and as the display bundle a notebook shows.
 *
 * Lets-Plot's own notebook renderer and image export are not available on our stack, so figures
 * are drawn to SVG by Lets-Plot and to PNG by Apache Batik. From Java: `Figures.save(plot, path)`.
 */

/** The SVG document of this figure. */
fun Figure.toSvg(): String = PlotSvgExport.buildSvgImageFromRawSpecs(toSpec())

/**
 * This figure as PNG bytes, drawn at [scale] times its size in pixels on a white background.
 *
 * @throws IllegalArgumentException when [scale] is not in (0, 8]
 */
@JvmOverloads
fun Figure.toPng(scale: Double = 1.0): ByteArray = svgToPng(toSvg(), scale)

/**
 * Writes this figure to [file] as SVG or PNG, chosen by its extension (`.svg`, `.png`); the file
 * appears whole or not at all (written to a temporary file, then moved).
 *
 * @return [file]
 * @throws IllegalArgumentException when the extension is neither
 */
@JvmOverloads
fun Figure.save(file: Path, scale: Double = 1.0): Path {
    val name = file.fileName?.toString()?.lowercase() ?: ""
    val bytes = when {
        name.endsWith(".svg") -> toSvg().toByteArray(Charsets.UTF_8)
        name.endsWith(".png") -> toPng(scale)
        else -> throw IllegalArgumentException("figure file: expected a name ending in .svg or .png, found '$file'")
    }
    AtomicFiles.writeBytes(file, bytes)
    return file
}

/**
 * The notebook display bundle of a figure: `image/svg+xml` (sharp, shown by trusted notebooks,
 * VS Code and nbconvert HTML) beside `image/png` (shown everywhere, also in untrusted notebooks,
 * where the notebook server strips SVG) and a `text/plain` line.
 */
fun Figure.toMime(): MimeTypedResult = figureMime(toSvg(), "Lets-Plot figure")

internal fun figureMime(svg: String, text: String): MimeTypedResult = MIME(
    "image/svg+xml" to svg,
    "image/png" to Base64.getEncoder().encodeToString(svgToPng(svg, 1.0)),
    "text/plain" to text,
)

/** SVG text to PNG bytes at [scale] times the SVG's own width and height. */
fun svgToPng(svg: String, scale: Double = 1.0): ByteArray {
    require(scale > 0 && scale <= 8) { "PNG scale: expected a factor in (0, 8], found $scale" }
    val size = Regex("""<svg[^>]*?\swidth="([0-9.]+)[^"]*"[^>]*?\sheight="([0-9.]+)""").find(svg)
    val transcoder = PNGTranscoder()
    if (size != null) {
        transcoder.addTranscodingHint(ImageTranscoder.KEY_WIDTH, (size.groupValues[1].toFloat() * scale).toFloat())
        transcoder.addTranscodingHint(ImageTranscoder.KEY_HEIGHT, (size.groupValues[2].toFloat() * scale).toFloat())
    }
    transcoder.addTranscodingHint(ImageTranscoder.KEY_BACKGROUND_COLOR, java.awt.Color.WHITE)
    // Batik's CSS parser rejects the "pixelated" rendering of Lets-Plot's raster images
    val batikSvg = svg.replace(Regex(";?\\s*image-rendering:\\s*pixelated"), "")
    val out = ByteArrayOutputStream()
    transcoder.transcode(TranscoderInput(StringReader(batikSvg)), TranscoderOutput(out))
    return out.toByteArray()
}
