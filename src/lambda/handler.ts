/**
 * The Lambda entry point (`handler.handler`) behind API Gateway's REST API (Lambda proxy
 * integration). Configuration and AWS clients are made once per container, at module load: a
 * misconfigured function fails its init, loudly, instead of every request.
 */
import { createHandler, type ApiHandler } from './app.js';
import { loadLambdaConfig } from './config.js';
import { buildDeps } from './deps.js';

export const handler: ApiHandler = createHandler(buildDeps(loadLambdaConfig(process.env)));
