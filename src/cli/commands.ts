import type { Command } from 'commander';
import { register as importSettings } from './import.js';
import { register as plan } from './plan.js';
import { register as plot } from './plot.js';
import { register as schedule } from './schedule.js';
import { register as schema } from './schema.js';
import { register as validate } from './validate.js';
import { register as generate } from './generate.js';
import { register as debug } from './debug.js';
import { register as depth } from './depth.js';
import { register as render } from './render.js';
import { register as resume } from './resume.js';
import { register as encode } from './encode.js';
import { register as verify } from './verify.js';
import { register as prompt } from './prompt.js';
import { register as pose } from './pose.js';
import { register as gpu } from './gpu.js';
import { register as control } from './control.js';
import { register as queue } from './queue.js';
import { register as worker } from './worker.js';

/** Each command module exports one `register(program)`; this list is the CLI. */
export const commands: Array<(program: Command) => void> = [validate, plan, schedule, plot, importSettings, schema, generate, depth, debug, render, resume, encode, verify, prompt, pose, control, gpu, queue, worker];
