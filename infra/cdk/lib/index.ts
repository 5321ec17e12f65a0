export * from './aurora-failback';
export * from './backup-destination';
