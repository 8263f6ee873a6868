import type { Application, Connection } from '../../model.ts';

/** Server-wide values kept by key: the sealed server secrets, what seeding declared, markers. */
export interface SettingsStore {
  getSetting(key: string): Promise<string | undefined>;
  /** Stores `value` unless the key exists; returns whichever value is stored afterwards. */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
  putSetting(key: string, value: string): Promise<void>;
}

export interface ApplicationStore {
  getApplication(clientId: string): Promise<Application | undefined>;
  listApplications(): Promise<Application[]>;
  putApplication(app: Application): Promise<void>;
  deleteApplication(clientId: string): Promise<void>;
}

export interface ConnectionStore {
  /** Connections read back carry their `id`. */
  getConnection(name: string): Promise<Connection | undefined>;
  getConnectionById(id: string): Promise<Connection | undefined>;
  listConnections(): Promise<Connection[]>;
  /**
   * Writes the connection by its name. A new one is given an id (`con_` and 16 random characters)
   * unless it carries one; a stored one keeps its id whatever the record says.
   */
  putConnection(connection: Connection): Promise<void>;
  deleteConnection(name: string): Promise<void>;
}

/**
 * How an application is written to and read from its row: plain JSON by default; the server seals
 * its `client_secret` in it (core/application-secrets.ts).
 */
export interface ApplicationCodec {
  encode(app: Application): Promise<string>;
  decode(data: string): Promise<Application>;
}

/**
 * How a connection is written to and read from its row: plain JSON by default; the server seals
 * provider credentials in it (core/connection-secrets.ts).
 */
export interface ConnectionCodec {
  encode(connection: Connection): Promise<string>;
  decode(data: string): Promise<Connection>;
}
