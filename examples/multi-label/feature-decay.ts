import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Feature decay for tfjs-layers, which does not implement activity regularizers: an identity layer that adds
 * λ Σ_i ‖h_i‖² over the batch (the squared Frobenius norm of the batch's features, as Li et al.'s training script adds
 * `lamb_h * torch.linalg.norm(feature)**2`) to the training loss. tfjs evaluates a layer's losses inside the training
 * step after the forward pass, so the loss reads the features of the batch being trained on.
 */
export class FeatureDecay extends tfl.layers.Layer {
  static override className = 'FeatureDecay';
  private readonly lambda: number;
  private last: tf.Tensor | undefined;

  constructor(args: { lambda: number; name?: string }) {
    super({ name: args.name ?? 'feature_decay' });
    this.lambda = args.lambda;
  }

  override build(): void {
    this.addLoss(() => (this.last ? tf.mul(this.lambda, tf.sum(tf.square(this.last))) : tf.scalar(0)));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    this.last = x;
    return x;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), lambda: this.lambda };
  }
}
tf.serialization.registerClass(FeatureDecay);
