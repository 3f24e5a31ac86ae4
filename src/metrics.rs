//! Evaluation metrics: loss, accuracy, the 10×10 confusion matrix, per-class precision, recall and F1,
//! and macro-F1.

use crate::input::NUM_CLASSES;
use serde::Serialize;

/// Counts of (true label, predicted label) pairs: `counts[truth][predicted]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    counts: [[u64; NUM_CLASSES]; NUM_CLASSES],
}

impl Confusion {
    /// Records one prediction.
    pub fn add(&mut self, truth: u8, predicted: u8) {
        self.counts[truth as usize][predicted as usize] += 1;
    }

    /// The matrix, rows = true label, columns = predicted label.
    pub fn counts(&self) -> &[[u64; NUM_CLASSES]; NUM_CLASSES] {
        &self.counts
    }

    /// Number of predictions recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Fraction predicted correctly (0 when empty).
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..NUM_CLASSES).map(|c| self.counts[c][c]).sum();
        ratio(correct, self.total())
    }

    /// Of the examples predicted as `class`, the fraction that are `class` (0 when none predicted).
    pub fn precision(&self, class: usize) -> f64 {
        let predicted: u64 = (0..NUM_CLASSES).map(|t| self.counts[t][class]).sum();
        ratio(self.counts[class][class], predicted)
    }

    /// Of the examples of `class`, the fraction predicted as `class` (0 when there are none).
    pub fn recall(&self, class: usize) -> f64 {
        ratio(self.counts[class][class], self.counts[class].iter().sum())
    }

    /// Harmonic mean of precision and recall (0 when both are 0).
    pub fn f1(&self, class: usize) -> f64 {
        let (p, r) = (self.precision(class), self.recall(class));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Unweighted mean of the per-class F1 scores.
    pub fn macro_f1(&self) -> f64 {
        (0..NUM_CLASSES).map(|c| self.f1(c)).sum::<f64>() / NUM_CLASSES as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Everything measured on a labelled set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// Examples evaluated.
    pub count: usize,
    /// Mean softmax cross-entropy.
    pub loss: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// `confusion[truth][predicted]`.
    pub confusion: [[u64; NUM_CLASSES]; NUM_CLASSES],
    /// Per-class precision.
    pub precision: Vec<f64>,
    /// Per-class recall.
    pub recall: Vec<f64>,
    /// Per-class F1.
    pub f1: Vec<f64>,
    /// Mean of the per-class F1 scores.
    pub macro_f1: f64,
    /// The predicted label of each example, in order.
    pub predictions: Vec<u8>,
}

impl Evaluation {
    /// Builds the report from per-example predictions and the summed loss.
    pub fn new(labels: &[u8], predictions: Vec<u8>, loss_sum: f64) -> Self {
        let mut confusion = Confusion::default();
        for (&t, &p) in labels.iter().zip(&predictions) {
            confusion.add(t, p);
        }
        let per = |f: fn(&Confusion, usize) -> f64| (0..NUM_CLASSES).map(|c| f(&confusion, c)).collect();
        Self {
            count: labels.len(),
            loss: if labels.is_empty() { 0.0 } else { loss_sum / labels.len() as f64 },
            accuracy: confusion.accuracy(),
            precision: per(Confusion::precision),
            recall: per(Confusion::recall),
            f1: per(Confusion::f1),
            macro_f1: confusion.macro_f1(),
            confusion: *confusion.counts(),
            predictions,
        }
    }

    /// A plain-text report: accuracy, a per-class table and the confusion matrix.
    pub fn report(&self) -> String {
        let mut s = format!("test loss {:.4}  accuracy {:.2} %  macro-F1 {:.4}  ({} images)\n\n", self.loss, 100.0 * self.accuracy, self.macro_f1, self.count);
        s += "class  precision  recall  f1      support\n";
        for c in 0..NUM_CLASSES {
            let support: u64 = self.confusion[c].iter().sum();
            s += &format!("{c:>5}  {:>9.4}  {:>6.4}  {:.4}  {support:>7}\n", self.precision[c], self.recall[c], self.f1[c]);
        }
        s += "\nconfusion (rows: true, columns: predicted)\n      ";
        s += &(0..NUM_CLASSES).map(|c| format!("{c:>6}")).collect::<String>();
        for (t, row) in self.confusion.iter().enumerate() {
            s += &format!("\n{t:>5} ");
            s += &row.iter().map(|n| format!("{n:>6}")).collect::<String>();
        }
        s + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_a_hand_computed_example() {
        // truth: 0 0 0 1 1 2 ; predicted: 0 0 1 1 2 2
        let e = Evaluation::new(&[0, 0, 0, 1, 1, 2], vec![0, 0, 1, 1, 2, 2], 3.0);
        assert_eq!(e.confusion[0][0], 2);
        assert_eq!(e.confusion[0][1], 1);
        assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((e.precision[1] - 0.5).abs() < 1e-12 && (e.recall[1] - 0.5).abs() < 1e-12);
        assert!((e.precision[0] - 1.0).abs() < 1e-12 && (e.recall[0] - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.f1[0] - 0.8).abs() < 1e-12);
        assert_eq!(e.f1[5], 0.0); // absent class
        assert!((e.loss - 0.5).abs() < 1e-12);
        assert!(e.report().contains("confusion"));
    }
}
