// Every e2e and integration file's kafkajs clients (the tests' own readers and admins, not only the
// app's) get the request-queue fix the app applies, so that none re-arms a 1 ms timer for its life
// (and Node 24 prints no TimeoutNegativeWarning): src/platform/kafka/kafkajs-request-queue-fix.ts.
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';

fixKafkajsRequestQueue();
