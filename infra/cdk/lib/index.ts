export * from './aurora-failback';
