// The generation backend's file records, as the real app's events and polling
// answers carry them (shared/REAL-APP.md section 1): a video file arrives
// first with `url: null` and a task in progress, then again, finished, with
// its `.mp4` URL and `.webp` thumbnail. Images and audio are the same kind of
// record with another `type`.

/** The record of `project`'s video file; `delivery` ({url, thumbnailUrl}) when finished. */
export function videoFileRecord(project, delivery = null) {
  const done = Boolean(delivery);
  return {
    id: project.fileId,
    url: done ? delivery.url : null,
    thumbnail_url: done ? delivery.thumbnailUrl : null,
    type: 'video',
    image_generation_id: null,
    image_generation: null,
    video_generation_id: project.generationId,
    video_generation: {
      prompt: project.prompt,
      negative_prompt: '',
      seed: 421337,
      duration: 2,
      width: 320,
      height: 240,
      aspect_ratio: '4:3',
      id: project.generationId,
      generation_config_name: 'demo-video-1',
      generation_config: { name: 'demo-video-1', label: 'Demo video 1', type: 'video', source: 'demo', params: { fps: 25 } },
      references: [],
    },
    audio_generation_id: null,
    audio_generation: null,
    duration: done ? 2 : null,
    tasks: [{ type: 'video-generation', status: done ? 'completed' : 'in_progress', id: project.taskId, file_id: project.fileId, project_id: project.id }],
  };
}

/** A finished image file of `project` (not a video: a decoy for capture). */
export function imageFileRecord(project, url) {
  return {
    id: `${project.fileId.slice(0, -4)}1mg0`,
    url,
    thumbnail_url: url,
    type: 'image',
    image_generation_id: project.generationId,
    image_generation: { prompt: `${project.prompt} (still)`, width: 320, height: 240 },
    video_generation_id: null,
    video_generation: null,
    audio_generation_id: null,
    audio_generation: null,
    duration: null,
    tasks: [{ type: 'image-generation', status: 'completed', id: `${project.taskId.slice(0, -4)}1mg0`, file_id: project.fileId, project_id: project.id }],
  };
}

/** An audio file still being made (no URL yet): a decoy. */
export function audioFileRecord(project) {
  return {
    id: `${project.fileId.slice(0, -4)}aud0`,
    url: null,
    thumbnail_url: null,
    type: 'audio',
    image_generation_id: null,
    image_generation: null,
    video_generation_id: null,
    video_generation: null,
    audio_generation_id: project.generationId,
    audio_generation: { prompt: 'soundtrack' },
    duration: null,
    tasks: [{ type: 'audio-generation', status: 'in_progress', id: `${project.taskId.slice(0, -4)}aud0`, file_id: project.fileId, project_id: project.id }],
  };
}

/** The project record `GET /api/project/<id>` answers: the project with its files. */
export function projectRecord(project, delivery = null) {
  return {
    id: project.id,
    status: delivery ? 'completed' : 'in_progress',
    created_at: new Date(project.createdAt).toISOString(),
    files: [videoFileRecord(project, delivery)],
  };
}
