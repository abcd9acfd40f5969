/**
 * The failure-and-recovery layer: a service domain crashes or its device fails, the primary domain's
 * frontend fails what was pending in it, and the administrator restarts it as a new domain that the
 * programs reconnect to (VIRTUOS.md, "Failure and recovery"). `semantics.ts` is the recovery semantics
 * the model chooses where the released code is silent; `client.ts` the two programs of the paper's
 * recovery experiment; `backend.ts` and `frontend.ts` the syscall-backend's and -frontend's recovery
 * duties; `admin-tool.ts` the administrator's start/stop/restart; `fault-injector.ts` the crashes and
 * device failures; `layout.ts` where the layer's words live.
 */
import type { Component } from '../kit/kit.ts';
import { adminTool } from './admin-tool.ts';
import { recoveryBackend } from './backend.ts';
import { recoveryClient } from './client.ts';
import { faultInjector } from './fault-injector.ts';
import { frontendNotify } from './frontend.ts';

/**
 * The failure-and-recovery layer's components: no actors unless `recovery` is on. Listed so that the
 * drain (lowest-numbered actor first) lets the clients and the primary's frontend act before the
 * administrator, and the fault injector last: a drain then crashes a domain only when nothing else moves.
 */
export const RECOVERY_COMPONENTS: readonly Component[] = [recoveryClient, ...recoveryBackend, ...frontendNotify, adminTool, faultInjector];

/** The environment's machines: the administrator and the fault injector. */
export const ENVIRONMENT_COMPONENTS: readonly Component[] = [adminTool, faultInjector];
