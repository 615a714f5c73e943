// The gpu tier runs real kernels through Dawn; make sure SwiftShader is the Vulkan driver.
import { SWIFTSHADER_ICD } from '../../cli/node-gpu.ts';

process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
