#!/usr/bin/env python3
# The bench's native TensorFlow CPU peer (driven by tools/bench/tf-cpu.mjs): Inkling's cnn built
# and trained with Keras on TensorFlow's CPU build, measured the way Inkling's bench measures its
# own training, so the figures compare. Prints ONE JSON line on stdout; everything else goes to
# stderr.
#
#   cnn: (B, 28, 28, 1) float32 in [0, 1] -> Conv2D(32, 3, relu) -> MaxPool 2 -> Conv2D(64, 3, relu)
#        -> MaxPool 2 -> Conv2D(64, 3, relu) -> Flatten -> Dense(64, relu) -> Dense(10) logits;
#        sparse categorical cross-entropy from logits, Adam 1e-3; 93,322 parameters.
#
#   train  untimed warm-up (>= 2 steps and >= 1 s; the first step traces the tf.function), then
#          steps on successive batches of a once-shuffled training set until --seconds of wall
#          time pass (at least 3 steps): samplesPerSec = steps * batch / elapsed. Each timed step
#          includes handing the batch to TF, as Inkling's wasm bench includes gathering it.
#   epoch  (--epoch) a fresh model, compiled and trained the way a plain Keras program does it:
#          model.fit(x, y, batch_size=B, epochs=1) over the training images, timed whole (fit's
#          tracing and per-epoch overhead included).
#
#   python3 tools/bench/peer_tf.py --batch 64 --seconds 5 --threads 0 [--mnist DIR] [--epoch]

import argparse
import gzip
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PARAMS = 93_322  # Inkling's cnn (src/spec/tests.rs checks the same count)


def parse_args():
    p = argparse.ArgumentParser(description="Train Inkling's cnn with Keras on TensorFlow CPU; print one JSON line.")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=5.0, help="timed training window (default 5)")
    p.add_argument("--threads", type=int, default=0, help="intra- and inter-op threads; 0: TF's default (all cores)")
    p.add_argument("--mnist", help="directory of the four official MNIST IDX .gz files (else pseudo-random pixels)")
    p.add_argument("--how", choices=["function", "train_on_batch"], default="function",
                   help="timed step: a @tf.function train step (default) or Keras model.train_on_batch")
    p.add_argument("--epoch", action="store_true", help="also time one model.fit epoch over the training images")
    p.add_argument("--epoch-images", type=int, default=60_000, help="training images for --epoch (default all 60,000)")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def read_idx(path, magic, header):
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise ValueError(f"{path}: magic {got:#x}, expected {magic:#x}")
    return np.frombuffer(data, dtype=np.uint8, offset=header)


def load_mnist(directory):
    """The official training and test sets: images (N, 28, 28, 1) float32 in [0, 1], labels int32."""
    import numpy as np

    def split(kind):
        images = read_idx(os.path.join(directory, f"{kind}-images-idx3-ubyte.gz"), 0x803, 16)
        labels = read_idx(os.path.join(directory, f"{kind}-labels-idx1-ubyte.gz"), 0x801, 8)
        images = (images.reshape(-1, 28, 28, 1).astype(np.float32) / 255.0)
        if len(images) != len(labels):
            raise ValueError(f"{directory}: {len(images)} {kind} images but {len(labels)} labels")
        return images, labels.astype(np.int32)

    return split("train"), split("t10k")


def pseudo_random(count, seed):
    """Deterministic stand-in data: uniform pixels and labels (speed only; nothing to learn)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.random((count, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, count, dtype=np.int32)


def build_model(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
    ])
    return model


def compiled_model(keras):
    model = build_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def onednn_state(tf_version):
    value = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    if value is not None:
        return f"TF_ENABLE_ONEDNN_OPTS={value}"
    major, minor = (int(x) for x in tf_version.split(".")[:2])
    on = platform.machine() in ("x86_64", "AMD64") and (major, minor) >= (2, 9)
    return f"default ({'on' if on else 'off'})"


def main():
    args = parse_args()
    if args.batch < 1 or args.seconds <= 0 or args.threads < 0:
        sys.exit("--batch must be >= 1, --seconds > 0, --threads >= 0")
    # stdout carries the JSON line alone: anything TF or Keras prints goes to stderr.
    out, sys.stdout = sys.stdout, sys.stderr

    import numpy as np
    import tensorflow as tf
    import keras

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)

    test = None
    if args.mnist:
        (x_train, y_train), test = load_mnist(args.mnist)
        dataset = f"mnist ({len(x_train)} train images from {args.mnist})"
    else:
        count = args.epoch_images if args.epoch else max(args.batch * 32, 4096)
        x_train, y_train = pseudo_random(count, args.seed)
        dataset = f"pseudo-random pixels ({count} images, seed {args.seed})"

    model = compiled_model(keras)
    params = model.count_params()
    if params != PARAMS:
        print(f"warning: {params} parameters, Inkling's cnn has {PARAMS}", file=sys.stderr)

    if args.how == "function":
        loss_fn = model.loss
        optimizer = model.optimizer

        @tf.function
        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        step = train_step
    else:
        step = model.train_on_batch

    # Successive batches of one shuffle, wrapping to the start when the next batch would not fit.
    order = np.random.default_rng(args.seed).permutation(len(x_train))
    xs, ys = x_train[order], y_train[order]
    pos = 0

    def next_batch():
        nonlocal pos
        if pos + args.batch > len(xs):
            pos = 0
        x, y = xs[pos:pos + args.batch], ys[pos:pos + args.batch]
        pos += args.batch
        return tf.convert_to_tensor(x), tf.convert_to_tensor(y)

    def sync(result):
        # The step's loss as a Python float, so each step ends only once its work is done.
        return float(np.asarray(result if not isinstance(result, (list, tuple)) else result[0]))

    warmup, w0 = 0, time.perf_counter()
    while warmup < 2 or time.perf_counter() - w0 < 1.0:
        sync(step(*next_batch()))
        warmup += 1
    warmup_seconds = time.perf_counter() - w0

    steps, t0 = 0, time.perf_counter()
    while steps < 3 or time.perf_counter() - t0 < args.seconds:
        loss = sync(step(*next_batch()))
        steps += 1
    elapsed = time.perf_counter() - t0

    record = {
        "peer": "tensorflow-cpu",
        "version": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "model": "cnn",
        "batch": args.batch,
        "threads": args.threads,  # 0: TF's default (all cores)
        "intraOpThreads": tf.config.threading.get_intra_op_parallelism_threads(),
        "interOpThreads": tf.config.threading.get_inter_op_parallelism_threads(),
        "how": "tf.function train step (GradientTape + Adam.apply_gradients)" if args.how == "function" else "model.train_on_batch",
        "params": params,
        "paramsMatch": params == PARAMS,
        "warmupSteps": warmup,
        "warmupSeconds": round(warmup_seconds, 3),
        "steps": steps,
        "seconds": round(elapsed, 3),
        "samplesPerSec": steps * args.batch / elapsed,
        "loss": loss,
        "dataset": dataset,
        "onednn": onednn_state(tf.__version__),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
    }

    if args.epoch:
        n = min(args.epoch_images, len(x_train))
        fresh = compiled_model(keras)
        e0 = time.perf_counter()
        history = fresh.fit(x_train[:n], y_train[:n], batch_size=args.batch, epochs=1, shuffle=True, verbose=0)
        epoch_seconds = time.perf_counter() - e0
        record.update({
            "epochHow": "model.fit(x, y, batch_size, epochs=1, shuffle=True) on a freshly compiled model, timed whole",
            "epochImages": n,
            "epochSeconds": round(epoch_seconds, 3),
            "epochSamplesPerSec": n / epoch_seconds,
            "epochTrainAccuracy": float(history.history["accuracy"][-1]),
        })
        if test is not None:
            _, accuracy = fresh.evaluate(test[0], test[1], batch_size=256, verbose=0)
            record["epochTestAccuracy"] = float(accuracy)

    print(json.dumps(record), file=out, flush=True)


if __name__ == "__main__":
    main()
