/**
 * NVIDIA GPU instance types the gpu node class may use: GPUs per instance and architecture as
 * cluster-autoscaler's own table has them (kubernetes/autoscaler@cluster-autoscaler-1.35.2:
 * cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go: GPU, Architecture), and the
 * accelerator of each family (AWS CloudFormation reference, AWS::Deadline::Fleet
 * AcceleratorCapabilities: "t4: Uses G4dn instance family, a10g: G5, l4: G6 and Gr6, l40s: G6e",
 * read 2026-12-06) as tap's k8s.amazonaws.com/accelerator value. Bottlerocket's NVIDIA AMIs run
 * these (x86_64: BOTTLEROCKET_x86_64_NVIDIA). Data only: test/unit/node-classes.test.ts holds it
 * to facts/gpu-instance-types.json, derived from the autoscaler's file.
 */
export interface GpuInstanceType {
  readonly gpus: number;
  readonly architecture: "x86_64" | "arm64";
  readonly accelerator: string;
}

export const GPU_INSTANCE_TYPES: Readonly<Record<string, GpuInstanceType>> = {
  "g4dn.xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g4dn.2xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g4dn.4xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g4dn.8xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g4dn.12xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g4dn.16xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g4dn.metal": { gpus: 8, architecture: "x86_64", accelerator: "nvidia-t4" },
  "g5.xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.2xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.4xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.8xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.12xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.16xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.24xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g5.48xlarge": { gpus: 8, architecture: "x86_64", accelerator: "nvidia-a10g" },
  "g6.xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.2xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.4xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.8xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.12xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.16xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.24xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6.48xlarge": { gpus: 8, architecture: "x86_64", accelerator: "nvidia-l4" },
  "g6e.xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.2xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.4xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.8xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.12xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.16xlarge": { gpus: 1, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.24xlarge": { gpus: 4, architecture: "x86_64", accelerator: "nvidia-l40s" },
  "g6e.48xlarge": { gpus: 8, architecture: "x86_64", accelerator: "nvidia-l40s" },
};
