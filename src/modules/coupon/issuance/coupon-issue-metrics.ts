import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '../../../platform/observability/metrics';

@Injectable()
export class CouponIssueMetrics {
  readonly outcomes: Counter<'strategy' | 'outcome'>;

  constructor(metrics: Metrics) {
    this.outcomes = new Counter({
      name: 'coupon_issue_outcomes_total',
      help: 'Answers to POST /coupons/{id}/issue by strategy: ISSUED, QUEUED or the rejection code',
      labelNames: ['strategy', 'outcome'],
      registers: [metrics.registry],
    });
  }
}
