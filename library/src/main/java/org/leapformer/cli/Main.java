package org.leapformer.cli;

import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.leapformer.LeapEngine;
import java.util.Locale;

/**
 * The command line: {@code mvn -q -pl library exec:java -Dexec.args="COMMAND ARGS"}.
 *
 * <pre>
 *   check-vectors FILE [--tolerance T] [--float64]
 * </pre>
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Each command's options, as {@code COMMAND help} prints them. */
    private static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("check-vectors", """
                  check-vectors FILE [--tolerance T] [--float64]
                      run every case of a leapformer-test-vectors/1 file (data/vectors/leap_vectors.json) through the
                      library (baselines' gradients through the Block forward in training mode); print each
                      quantity's max absolute error and its error relative to its size, max|err| / max(max|expected|,
                      1e-3); exit 1 if any relative error exceeds T (default 1e-3 in float32, 1e-8 with --float64)""");
        HELP.put("train", """
                  train --out DIR [--task listops|lm|mqar] [--attention leap|cosformer|softmax|relu] [--steps 300]
                        [--length N] [--batch 32] [--layers 2] [--heads 2] [--d-model 64] [--head-dim 32]
                        [--ffn 128] [--dropout 0.1] [--leap-hidden H] [--clamp 0.1|none] [--chunk 64]
                        [--positions learned|sinusoidal|none (default: sinusoidal for lm, learned for listops)]
                        [--lr 1e-3] [--warmup W] [--schedule cosine|linear|constant] [--clip 1.0]
                        [--weight-decay 0.01] [--eval-every K] [--patience P] [--device cpu|gpu|auto]
                        [--seed 42 (model: initialisation, dropout)] [--data-seed 42 (data: generation, splits,
                        batch order)] [--resume] [--quiet]
                      data, as train / validation / test sets (the best checkpoint and early stopping are chosen on
                      validation; the chosen model is evaluated once on test, and test is what is reported):
                            listops  [--data DIR with basic_train.tsv, basic_val.tsv and basic_test.tsv (without it,
                                     --test-fraction 0.1 of train is carved out by the data seed)] or generated:
                                     [--train-examples 4000] [--val-examples 500] [--test-examples 500]
                                     [--max-depth 3] [--max-args 4]
                            lm       [--data TEXT-FILE (UTF-8; default: the shipped corpus)] [--tokenizer char|word]
                                     [--valid-fraction 0.1] [--test-fraction 0.1] (contiguous: train, validation,
                                     test) or [--wikitext DIR with wiki.train/valid/test.tokens]
                            mqar     multi-query associative recall (Zoology's layout), generated; a causal model
                                     scored at the queries only (accuracy: the fraction answered exactly):
                                     [--kv-pairs 8] [--mqar-length 64 (N)] [--mqar-vocab 64] [--mqar-queries K]
                                     [--mqar-power 0.01 (query distances; 1 = uniform)] [--train-examples 20000]
                                     [--val-examples 500] [--test-examples 1000] (test, validation, train drawn in
                                     that order)
                            simul    simultaneous translation: [--wait-k 3|inf] [--eval-sentences 200 (test)] and
                                     [--source FILE --target FILE (aligned, one sentence per line) --valid-fraction 0.1
                                     --test-fraction 0.1 (carved out by the data seed)] or synthetic:
                                     [--train-examples 6000] [--val-examples 300] [--test-examples 300]
                                     [--pair default|hard (default: 5-14 source words, at most one prepositional
                                     phrase; hard: the whole vocabulary, up to 4 adjectives and 3 phrases reversed
                                     before the verb, 5-34 words; not with --source/--target)];
                                     also writes simul.json (test BLEU, exact match, Average Lagging of streamed
                                     decoding, the pair)
                      writes DIR/run.json, steps.csv, evaluations.csv (validation), summary.json (seeds, set sizes,
                      validation and test metrics of the chosen checkpoint), checkpoints/{best,latest}.ckpt;
                      --resume continues from DIR/checkpoints/latest.ckpt and keeps the metrics written before;
                      exit 1 when training diverges (a NaN or infinite loss), keeping the last good checkpoint""");
        HELP.put("eval", """
                  eval --checkpoint FILE [--split validation|test] [data options; default: those of the run]
                       [--lengths 1,4,16]
                      --lengths (a language model): the loss in nats per token and the accuracy at each multiple of
                      the training window T, over the non-overlapping windows of m x T tokens of the split's text
                      (test unless --split says otherwise; refused when it holds no window of the longest), with the
                      loss by position bucket of T; cosFormer under both lengths N (unknown: N = T kept past it;
                      known: N = the window's own), learned positions not applicable past T; prints a table and
                      writes RUN/extrapolation.json""");
        HELP.put("generate", """
                  generate --checkpoint FILE [--prompt TEXT] [--tokens N (default: the training window; more than
                           that unless the model's positions are learned)]
                           [--temperature 0.8] [--top-k 20] [--top-p 1.0] [--greedy] [--seed 1]""");
        HELP.put("bench", """
                  bench forms [--ns 256,1024,4096,16384] [--methods softmax,softmax_causal,leap_bidir,leap_causal_quad,
                              leap_causal_chunk64,cosformer_causal_chunk64,relu_causal_chunk64] [--modes fwd,fwdbwd]
                              [--threads 1] [--out runs/bench]
                      forward and forward+backward of every form, one JVM per configuration: median and min ms, peak
                      memory growth; writes forms.jsonl, forms.md (with ratios to causal softmax) and forms.svg.
                      Also known to --methods: leap_causal_chunk16|32|128|256 (other chunk sizes) and
                      leap_features, chunk64_products (the chunked form's feature maps and products alone)
                  bench decode [--contexts 256,1024,4096,16384,65536] [--threads 1] [--out runs/bench]
                      per-token latency of one layer (LeaP recurrent, softmax with a KV cache) and of a whole
                      DecoderLM (on the JVM and through sessions); writes decode.jsonl and decode.md
                  bench train [--tasks lm,listops] [--attention leap,relu,softmax] [--steps 60] [--out runs/bench]
                      optimizer steps of train's default models on its default data, in this JVM: median and min
                      ms per step and tokens/s; writes train.jsonl and train.md""");
        HELP.put("translate", """
                  translate --checkpoint FILE --sentence "words ..." [--wait-k 3|inf] [--reference "words ..."]
                      streams the sentence word by word under wait-k and prints every READ and WRITE, the
                      translation, its BLEU against --reference and its Average Lagging, γ from the
                      reference's length, or the translation's without one (a model from train --task simul)""");
        HELP.put("simul-experiment", """
                  simul-experiment --out DIR [--attentions leap,relu,softmax] [--lags 1,3,5,inf] [--steps 300]
                                   [train options]
                      trains each attention for each wait-k lag on the same data (synthetic unless --source and
                      --target name parallel text) and writes DIR/results.md (test BLEU, exact match, AL of each
                      checkpoint chosen on validation) and results.svg (BLEU against AL)""");
        HELP.put("experiment", """
                  experiment --out DIR [--steps 300] [--tasks listops,lm] [--attentions leap,cosformer,softmax]
                             [--seed 42] [--data-seed 42] [train options]
                      the same budget for each attention on each task, on the same data; writes DIR/results.md
                      (test metrics of each checkpoint chosen on validation) and results.svg (validation curves)""");
        HELP.put("claims", """
                  claims [--studies docs/studies] [--out docs/claims.md] [--root .] [--check]
                      the paper's claims, one table each, from the recorded studies (every NAME/study.json under
                      --studies): writes --out and regenerates every <!-- claims:NAME --> ... <!-- /claims -->
                      block of README.md, docs/*.md and notebooks/*.ipynb; --check writes nothing and exits 1
                      when a file differs from the records""");
        HELP.put("study", """
                  study --out DIR [--tasks listops,lm,simul] [--methods leap,cosformer,relu,softmax]
                        [--lrs 1e-3,3e-3] [--seeds 5 (seeds 1..5) or 1,2,7] [--data-seed 42]
                        [--scale quick|small|full|FACTOR] [--no-throughput]
                      for each task and method: the learning rate chosen on validation with the first seed, then
                      every seed at that rate (seed s: the same initial weights and batches for every method);
                      writes DIR/runs/*.json (one per finished run: an interrupted study run again skips them),
                      DIR/study.json (commit, machine, seeds, rates, every run, mean ± SD of validation and test,
                      paired differences with 95% t intervals, throughput timed alone at the end) and
                      DIR/results.md (generated from study.json), with whether each task tells the methods apart
                      (best and worst >= 3 seed SDs apart, none at the ceiling). Tasks: listops; listops-lra (LRA's
                      sizes: up to 2000 tokens, depth <= 10; a GPU's task); lm (no position
                      embeddings; also the loss at 4x and 16x the training length, cosFormer's N unknown and
                      known); mqar; simul (wait-3), simul-waitK or simul-hard-waitK (the hard pair; no cosformer).
                      Scales: quick (a tiny model, CI), small (default), full""");
    }

    /**
     * Runs a command; returns the process exit code: 0 success, 1 a check failed or training
     * diverged, 2 a usage or input error (a bad option, a missing or damaged file), each reported
     * on {@code err} as one {@code error:} line (with the stack trace when {@code leap.debug} is set).
     */
    /** {@code train --task simul ...}: simultaneous translation has its own options. */
    private static boolean isSimul(String[] args) {
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals("--task") && args[i + 1].equals("simul")) {
                return true;
            }
        }
        return false;
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || isHelp(args[0])) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        if (!HELP.containsKey(args[0])) {
            err.println("error: unknown command '" + args[0] + "'; expected one of " + String.join(", ", HELP.keySet()));
            usage(err);
            return 2;
        }
        if (args.length >= 2 && isHelp(args[1])) {
            out.println("usage:");
            out.println(HELP.get(args[0]));
            return 0;
        }
        try {
            boolean child = args[0].equals("bench") && args.length > 1 && args[1].equals("child");
            if (!args[0].equals("check-vectors") && !child) { // check-vectors prints it in its report
                err.println("engine: " + LeapEngine.ensureInitialized());
            }
            return switch (args[0]) {
                case "check-vectors" -> checkVectors(args, out);
                case "train" -> isSimul(args) ? Simul.train(args, out) : Training.train(args, out);
                case "translate" -> Simul.translate(args, out);
                case "simul-experiment" -> Simul.experiment(args, out);
                case "eval" -> Training.eval(args, out);
                case "generate" -> Training.generate(args, out);
                case "bench" -> Bench.run(args, out);
                case "study" -> StudyCommand.run(args, out);
                case "claims" -> ClaimsCommand.run(args, out);
                default -> Experiment.run(args, out);
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            return error(err, e.getMessage(), e);
        } catch (UncheckedIOException e) {
            return error(err, e.getMessage() + ": " + describe(e.getCause()), e);
        }
    }

    private static boolean isHelp(String arg) {
        return arg.equals("help") || arg.equals("--help") || arg.equals("-h");
    }

    private static int error(PrintStream err, String message, Exception e) {
        err.println("error: " + message);
        if (Boolean.getBoolean("leap.debug")) {
            e.printStackTrace(err);
        } else {
            err.println("(run with -Dleap.debug=true for the stack trace)");
        }
        return 2;
    }

    /** An I/O exception as a person reads it: what failed on which file. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied on " + a.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + (f.getFile() == null ? "" : " (" + f.getFile() + ")");
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void usage(PrintStream s) {
        s.println("usage: COMMAND [OPTIONS]   (COMMAND help prints one command's options)");
        HELP.values().forEach(s::println);
    }

    private static int checkVectors(String[] args, PrintStream out) {
        Path file = null;
        Double tol = null;
        DataType type = DataType.FLOAT32;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--tolerance" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--tolerance: expected a number, found nothing");
                    }
                    try {
                        tol = Double.parseDouble(args[++i]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--tolerance: expected a number, found '" + args[i] + "'");
                    }
                }
                case "--float64" -> type = DataType.FLOAT64;
                default -> {
                    if (file != null || args[i].startsWith("--")) {
                        throw new IllegalArgumentException("check-vectors: expected one FILE and options --tolerance T, "
                                + "--float64; found '" + args[i] + "'");
                    }
                    file = Path.of(args[i]);
                }
            }
        }
        if (file == null) {
            throw new IllegalArgumentException("check-vectors: expected a vectors FILE, found none");
        }
        out.println("engine: " + LeapEngine.ensureInitialized());
        if (tol == null) {
            tol = VectorCheck.defaultTolerance(type);
        }
        List<VectorCheck.Row> rows = VectorCheck.run(file, type, tol);
        String current = null;
        int failed = 0;
        for (VectorCheck.Row r : rows) {
            if (!r.caseName().equals(current)) {
                current = r.caseName();
                out.println("case " + current);
            }
            if (!r.ok()) {
                failed++;
            }
            out.println(String.format(Locale.ROOT, "  %-62s max|err| %.3e  rel %.3e  %s", r.quantity(),
                    r.maxAbsError(), r.relativeError(), r.ok() ? "ok" : "FAIL"));
        }
        out.println(String.format(Locale.ROOT,
                "%s: %d quantities checked in %s, %d with a relative error above %.1e (%s)", file,
                rows.size(), type.toString().toLowerCase(Locale.ROOT), failed, tol, failed == 0 ? "PASS" : "FAIL"));
        return failed == 0 ? 0 : 1;
    }
}
